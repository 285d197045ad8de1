"""A DICOM series (one slice per file) as a :class:`Volume`.

Slices are ordered by the position of ``ImagePositionPatient`` along the slice
normal (the cross product of the ``ImageOrientationPatient`` direction
cosines), never by file name or ``InstanceNumber``; spacing between slices
comes from those positions (``SliceThickness`` is not a spacing) and gaps are
reported. Pixel values go through ``RescaleSlope``/``RescaleIntercept`` (CT:
Hounsfield units). Compressed transfer syntaxes, JPEG 2000 lossless included,
decode through pydicom's pixel handlers (pylibjpeg + openjpeg).
"""
import os
import warnings

import numpy as np
import pydicom

from .volume import LPS_TO_RAS, Volume


def _headers(folder):
    if not os.path.isdir(folder):
        raise FileNotFoundError(f'DICOM folder not found: {folder}')
    headers = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except pydicom.errors.InvalidDicomError:
            continue  # DICOMDIR companions, notes, thumbnails
        if 'ImagePositionPatient' in ds:  # an image slice with geometry
            headers.append((path, ds))
    if not headers:
        raise ValueError(f'{folder}: no DICOM image slices found')
    return headers


def read_dicom_series(folder, series_uid=None, gap_tolerance=0.1) -> Volume:
    """Read one series from ``folder``.

    Args:
        folder: folder holding the slices (other files are skipped).
        series_uid: which ``SeriesInstanceUID`` to read when the folder holds
            several (an error lists them otherwise).
        gap_tolerance: relative deviation of a slice step from the median
            step above which it is reported as a gap (a warning, and in
            ``volume.meta['gaps']``).

    Returns:
        :class:`Volume` in (column, row, slice) index order with a RAS+ affine;
        ``meta`` holds the series UID, the file order used and the gaps.
    """
    headers = _headers(folder)
    uids = sorted({str(ds.get('SeriesInstanceUID', '')) for _, ds in headers})
    if series_uid is None and len(uids) > 1:
        raise ValueError(f'{folder} holds {len(uids)} series {uids}; pass '
                         'series_uid to choose one')
    if series_uid is not None:
        headers = [(p, d) for p, d in headers
                   if str(d.get('SeriesInstanceUID', '')) == series_uid]
        if not headers:
            raise ValueError(f'{folder}: no slice of series {series_uid}')
    iop = np.array(headers[0][1].ImageOrientationPatient, float)
    row_dir, col_dir = iop[:3], iop[3:]
    normal = np.cross(row_dir, col_dir)
    for path, ds in headers:
        if not np.allclose(ds.ImageOrientationPatient, iop, atol=1e-4):
            raise ValueError(f'{path}: ImageOrientationPatient differs from '
                             'the rest of the series (tilted or mixed '
                             'stacks are not supported)')
    positions = np.array([np.array(ds.ImagePositionPatient, float)
                          for _, ds in headers])
    along = positions @ normal
    order = np.argsort(along, kind='stable')
    along = along[order]
    steps = np.diff(along)
    if len(steps) and np.any(np.abs(steps) < 1e-6):
        dup = [headers[order[i + 1]][0] for i in np.nonzero(
            np.abs(steps) < 1e-6)[0]]
        raise ValueError(f'{folder}: slices at the same position: {dup[:3]}')
    step = float(np.median(steps)) if len(steps) else float(
        headers[0][1].get('SliceThickness', 1.0))
    gaps = []
    for i, s in enumerate(steps):
        if abs(s - step) > gap_tolerance * step:
            gaps.append(dict(after=headers[order[i]][0], step_mm=float(s),
                             expected_mm=step))
    if gaps:
        warnings.warn(f'{folder}: {len(gaps)} uneven slice step(s) '
                      f'(expected {step:.3f} mm): ' + ', '.join(
                          f'{g["step_mm"]:.3f} mm after '
                          f'{os.path.basename(g["after"])}' for g in gaps))

    slices = []
    for idx in order:
        path = headers[idx][0]
        ds = pydicom.dcmread(path)
        try:
            pixels = ds.pixel_array.astype(np.float32)
        except Exception as e:  # missing decoder, corrupt data
            raise ValueError(
                f'{path}: cannot decode pixel data (transfer syntax '
                f'{ds.file_meta.TransferSyntaxUID}): {e}') from e
        slope = float(ds.get('RescaleSlope', 1.0))
        intercept = float(ds.get('RescaleIntercept', 0.0))
        slices.append(pixels * slope + intercept)
    # pixel_array is (rows, columns); nibabel order is (column, row, slice)
    data = np.stack(slices, axis=-1).transpose(1, 0, 2)
    dr, dc = (float(v) for v in headers[0][1].PixelSpacing)
    affine_lps = np.eye(4)
    affine_lps[:3, 0] = row_dir * dc  # i: along a row, next column
    affine_lps[:3, 1] = col_dir * dr  # j: down a column, next row
    affine_lps[:3, 2] = normal * step
    affine_lps[:3, 3] = positions[order[0]]
    return Volume(
        data, LPS_TO_RAS @ affine_lps,
        dict(source=str(folder), series_uid=uids[0] if series_uid is None
             else series_uid, files=[headers[i][0] for i in order],
             gaps=gaps))
