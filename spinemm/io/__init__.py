"""Pixels and millimetres: DICOM series and NIfTI into one volume type."""
from .dicom_series import read_dicom_series
from .volume import Volume, read_nifti, write_nifti

__all__ = ['Volume', 'read_dicom_series', 'read_nifti', 'write_nifti']
