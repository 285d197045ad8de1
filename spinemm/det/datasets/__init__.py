from .verse_slices import VerseSliceDetDataset
from .vertebra_coco import VertebraCocoDataset

__all__ = ['VertebraCocoDataset', 'VerseSliceDetDataset']
