"""RSNA 2022 cervical fracture pipeline: datasets (stage models to follow)."""
from .datasets import RsnaSliceDataset, RsnaVertebraDataset

__all__ = ['RsnaSliceDataset', 'RsnaVertebraDataset']
