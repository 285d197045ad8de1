"""mmpose modules: the vertebra top-down dataset, head and metrics."""
from .aasce import AASCE_META_FILE, AasceMetric, AasceSpineDataset
from .datasets import (AP4_META_FILE, LATERAL4_META_FILE, META_FILE,
                       APVertebraPoseDataset, LateralVertebraPoseDataset,
                       VertebraPoseDataset)
from .heads import VertebraHeatmapHead
from .metrics import VertebraMorphometryMetric

__all__ = ['AP4_META_FILE', 'APVertebraPoseDataset', 'AASCE_META_FILE',
           'AasceMetric', 'AasceSpineDataset',
           'LATERAL4_META_FILE', 'LateralVertebraPoseDataset',
           'META_FILE', 'VertebraPoseDataset', 'VertebraHeatmapHead',
           'VertebraMorphometryMetric']
