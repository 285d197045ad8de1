from .verse_patches import VersePatchDataset, crop_patch
from .verse_slices import VerseSliceSegDataset

__all__ = ['VersePatchDataset', 'VerseSliceSegDataset', 'crop_patch']
