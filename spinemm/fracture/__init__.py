"""RSNA 2022 cervical fracture pipeline: datasets, transforms, the stage-1
slice model, the stage-2 sequence model, the competition metric."""
from .datasets import RsnaSliceDataset, RsnaStudyDataset
from .metrics import RsnaFractureMetric, RsnaSliceMetric
from .models import RsnaFractureModel, RsnaSliceModel, competition_bce
from .scoring import LABELS, fracture_report, weighted_log_loss
from .transforms import (LoadRsnaSequences, LoadRsnaSlice, PackRsnaSlice,
                         PackRsnaStudy, RsnaSequenceAugment, RsnaSliceFlip)

__all__ = [
    'RsnaSliceDataset', 'RsnaStudyDataset', 'RsnaFractureMetric',
    'RsnaSliceMetric', 'RsnaFractureModel', 'RsnaSliceModel',
    'competition_bce', 'LABELS', 'fracture_report', 'weighted_log_loss',
    'LoadRsnaSequences', 'LoadRsnaSlice', 'PackRsnaSlice', 'PackRsnaStudy',
    'RsnaSequenceAugment', 'RsnaSliceFlip'
]
