"""Vertebra levels from appearance: a classifier that names the level of a
vertebra from a crop of the film around it (its neighbours, the sacrum
below L5, the dens above C3, the ribs), used to count the levels of a
column that shows neither C2 nor S1 (a lumbar or cervical film)."""
from .crops import context_crop, vertebra_frame
from .dataset import LateralLevelCropDataset
from .metric import LevelAccuracy
from .model import VertebraLevelClassifier

__all__ = ['context_crop', 'vertebra_frame', 'LateralLevelCropDataset',
           'LevelAccuracy', 'VertebraLevelClassifier']
