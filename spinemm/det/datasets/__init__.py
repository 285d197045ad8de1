from .vertebra_coco import VertebraCocoDataset

__all__ = ['VertebraCocoDataset']
