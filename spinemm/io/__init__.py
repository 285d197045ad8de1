"""Pixels and millimetres: DICOM (series, radiographs) and NIfTI."""
from .dicom_image import read_dicom_image, write_dicom_radiograph
from .dicom_series import read_dicom_series
from .geometry import (axis_affine, grids_overlap, reorient, resample,
                       resample_to)
from .intensity import spinetk_normalize
from .volume import Volume, label_volume, read_nifti, write_nifti

__all__ = [
    'Volume', 'axis_affine', 'grids_overlap', 'label_volume', 'read_dicom_image',
    'read_dicom_series', 'read_nifti', 'reorient', 'resample', 'resample_to',
    'spinetk_normalize', 'write_dicom_radiograph', 'write_nifti'
]
