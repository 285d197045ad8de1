"""3D vertebra segmentation (the VerSe seed's method): patch datasets and
transforms over the H5 cache, MONAI networks and SegFormer3D under one
segmentor, Dice on patches, sliding-window whole-CT inference."""
from .datasets import VersePatchDataset
from .hooks import VolumeSnapshotHook
from .metrics import PatchDiceMetric
from .monai_nets import AttentionUnet, SwinUNETR, UNet  # noqa: F401
from .segformer3d import SegFormer3D
from .segmentor import VolumeDataPreprocessor, VolumeSegmentor3D
from .transforms import (LoadVersePatch, PackVolumeInputs, RandomIntensity3D,
                         RandomSpatial3D, crop_patch)
from ..io.intensity import hu_to_unit

__all__ = [
    'VersePatchDataset', 'VolumeSnapshotHook', 'PatchDiceMetric', 'SegFormer3D',
    'VolumeDataPreprocessor', 'VolumeSegmentor3D', 'LoadVersePatch',
    'PackVolumeInputs', 'RandomIntensity3D', 'RandomSpatial3D', 'crop_patch',
    'hu_to_unit'
]
