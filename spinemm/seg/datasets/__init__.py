from .image_label_pairs import ImageLabelPairDataset
from .verse_patches import VersePatchDataset, crop_patch
from .verse_slices import VerseSliceSegDataset

__all__ = ['ImageLabelPairDataset', 'VersePatchDataset',
           'VerseSliceSegDataset', 'crop_patch']
