from .image_label_pairs import ImageLabelPairDataset
from .verse_slices import VerseSliceSegDataset

__all__ = ['ImageLabelPairDataset', 'VerseSliceSegDataset']
