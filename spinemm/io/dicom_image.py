"""A single DICOM image (a radiograph, or one slice) with its pixel spacing.

Spacing: ``PixelSpacing`` (patient plane) when present, else
``ImagerPixelSpacing`` (detector plane: for a projection radiograph this
over-states anatomy by the geometric magnification, which the caller is told
through ``meta['spacing_source']``), else none. ``MONOCHROME1`` images (high
values dark) are inverted so that bone is bright in every returned image;
``apply_window`` applies the stored VOI LUT or window.
"""
import os

import numpy as np
import pydicom
from pydicom.pixels import apply_modality_lut, apply_voi_lut
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from ..utils.atomic import atomic_file


def read_dicom_image(path, apply_window=False):
    """Return ``(image, spacing, meta)`` of a single-frame DICOM file.

    Args:
        path: the file.
        apply_window: apply the file's VOI LUT / window (for display and for
            models trained on displayed images); otherwise modality values
            (rescale slope/intercept applied) are returned.

    Returns:
        image (H, W) float32, bright = dense; spacing (row, col) mm or None;
        meta with ``spacing_source`` ('PixelSpacing', 'ImagerPixelSpacing' or
        None), ``photometric`` and ``inverted``.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'DICOM file not found: {path}')
    try:
        ds = pydicom.dcmread(path)
    except pydicom.errors.InvalidDicomError as e:
        raise ValueError(f'{path} is not a DICOM file: {e}') from e
    if 'PixelData' not in ds:
        raise ValueError(f'{path}: no pixel data')
    try:
        pixels = ds.pixel_array
    except Exception as e:
        raise ValueError(f'{path}: cannot decode pixel data: {e}') from e
    if pixels.ndim != 2:
        raise ValueError(f'{path}: expected one grey frame, got pixel array '
                         f'of shape {pixels.shape}')
    image = apply_modality_lut(pixels, ds).astype(np.float32)
    if apply_window:
        image = apply_voi_lut(image, ds).astype(np.float32)
    photometric = str(ds.get('PhotometricInterpretation', 'MONOCHROME2'))
    inverted = photometric == 'MONOCHROME1'
    if inverted:
        image = image.max() + image.min() - image
    spacing, source = None, None
    for tag in ('PixelSpacing', 'ImagerPixelSpacing'):
        if tag in ds and ds.get(tag):
            spacing = tuple(float(v) for v in ds.get(tag))
            source = tag
            break
    return image, spacing, dict(source=str(path), spacing_source=source,
                                photometric=photometric, inverted=inverted)


def grey_dicom_dataset(sop_class_uid, modality, pixels, bits_stored=16):
    """A minimal single-frame grey DICOM dataset around uint16 ``pixels``
    (file meta, UIDs, image pixel module); the caller adds geometry."""
    meta = pydicom.Dataset()
    meta.MediaStorageSOPClassUID = sop_class_uid
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.FileDataset('', {}, file_meta=meta, preamble=b'\0' * 128)
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    ds.PixelData = np.asarray(pixels, np.uint16).tobytes()
    return ds


def save_dicom(ds, path):
    """Save through a temporary name in the same folder, then rename."""
    with atomic_file(path) as tmp:
        ds.save_as(tmp, enforce_file_format=True)


def write_dicom_radiograph(path, image, spacing, spacing_tag='PixelSpacing',
                           monochrome1=False, **attributes):
    """Write an 8/16-bit grey image as a DX DICOM file (used by the phantoms).

    ``spacing`` (row, col) mm goes into ``spacing_tag``; ``monochrome1``
    stores the image inverted, as many radiography systems do.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f'expected a 2D image, got shape {image.shape}')
    pixels = image.astype(np.uint16)
    if monochrome1:
        pixels = (pixels.max() + pixels.min() - pixels).astype(np.uint16)
    ds = grey_dicom_dataset('1.2.840.10008.5.1.4.1.1.1.1', 'DX', pixels)
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    if monochrome1:
        ds.PhotometricInterpretation = 'MONOCHROME1'
    setattr(ds, spacing_tag, [f'{float(s):.6g}' for s in spacing])
    for key, value in attributes.items():
        setattr(ds, key, value)
    save_dicom(ds, path)
