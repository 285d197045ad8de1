"""mmdet modules of spinemm (registered into :mod:`spinemm.registry`)."""
from .datasets import VertebraCocoDataset

__all__ = ['VertebraCocoDataset']
