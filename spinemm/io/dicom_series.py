"""A DICOM series (one slice per file) as a :class:`Volume`.

Slices are ordered by the position of ``ImagePositionPatient`` along the slice
normal (the cross product of the ``ImageOrientationPatient`` direction
cosines), never by file name or ``InstanceNumber``; spacing between slices
comes from those positions (``SliceThickness`` is not a spacing). Pixel values
go through ``RescaleSlope``/``RescaleIntercept`` (CT: Hounsfield units).
Compressed transfer syntaxes, JPEG 2000 lossless included, decode through
pydicom's pixel handlers (pylibjpeg + openjpeg).

What is refused, and how (every message names the file or folder):

- a file that claims to be DICOM (``DICM`` marker or a ``.dcm`` name) but does
  not parse or decode: an error, or with ``skip_bad=True`` skipped and
  counted in ``meta['skipped']``; files that are not DICOM at all (notes,
  thumbnails) are ignored and counted in ``meta['ignored']``;
- several series in one folder: an error listing them unless ``series_uid``
  picks one. Series are told apart by ``SeriesInstanceUID``; where it is
  blank, by the acquisition tags of :data:`SERIES_KEY_TAGS`, and
  a repeated ``InstanceNumber`` / ``SOPInstanceUID`` among such slices is an
  error (two series that no tag tells apart);
- a gap (a slice step that differs from the median by more than
  ``gap_tolerance``): an error by default, since a uniform affine across a
  gap would put every slice past it at the wrong position. With
  ``gaps='resample'`` the slices are interpolated linearly onto a uniform
  grid at the median step, each output slice at its true position, and the
  gaps are listed in ``meta['gaps']``;
- a missing ``ImageOrientationPatient`` / ``PixelSpacing``, a differing
  orientation or pixel spacing, slices of different sizes.
"""
import os
import warnings

import numpy as np
import pydicom

from .volume import LPS_TO_RAS, Volume

#: tags that separate series whose ``SeriesInstanceUID`` is blank
#: (acquisition tags only: a slice whose geometry differs from the rest of
#: its acquisition is reported as such, not silently made a series of its
#: own)
SERIES_KEY_TAGS = ('StudyInstanceUID', 'FrameOfReferenceUID', 'SeriesNumber',
                   'AcquisitionNumber', 'SeriesDescription', 'SeriesTime',
                   'Modality', 'ConvolutionKernel')


class DicomSeriesError(ValueError):
    """A DICOM series that cannot be read into a correct volume."""


def _claims_dicom(path):
    if path.lower().endswith(('.dcm', '.dicom')):
        return True
    try:
        with open(path, 'rb') as f:
            f.seek(128)
            return f.read(4) == b'DICM'
    except OSError:
        return False


#: SOP classes whose objects must place themselves in space
SLICE_CLASSES = ('CT Image Storage', 'MR Image Storage',
                 'Positron Emission Tomography Image Storage')
#: what such a slice carries (Type 1 in the Image Plane and Image Pixel
#: modules)
SLICE_TAGS = ('ImagePositionPatient', 'ImageOrientationPatient',
              'PixelSpacing', 'Rows', 'Columns')


def _sop_class_name(ds):
    uid = ds.get('SOPClassUID') or getattr(
        getattr(ds, 'file_meta', None), 'MediaStorageSOPClassUID', None)
    return str(getattr(uid, 'name', '') or '')


def _tag_text(ds, tag):
    value = ds.get(tag, '')
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return ','.join(str(v) for v in value)
    return '' if value is None else str(value).strip()


def series_key(ds):
    """``SeriesInstanceUID``, or for a blank one a key made of
    :data:`SERIES_KEY_TAGS` (``'blank-uid:...'``)."""
    uid = str(ds.get('SeriesInstanceUID', '')).strip()
    if uid:
        return uid
    return 'blank-uid:' + '|'.join(_tag_text(ds, t) for t in SERIES_KEY_TAGS)


def scan_dicom_folder(folder, skip_bad=False):
    """Header-only scan of the files directly in ``folder``.

    Returns dict(series={key: [(path, header)]} for image slices with
    geometry, others=[paths of DICOM files without ImagePositionPatient],
    ignored=[non-DICOM files], skipped=[(path, reason)]).
    """
    if not os.path.isdir(folder):
        raise FileNotFoundError(f'DICOM folder not found: {folder}')
    out = dict(series={}, others=[], ignored=[], skipped=[])
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            if 'SOPClassUID' not in ds and 'SOPInstanceUID' not in ds:
                # every DICOM object has them: garbage that happened to parse
                raise ValueError('no SOPClassUID / SOPInstanceUID: corrupt '
                                 'or not a DICOM object')
            lacking = [t for t in SLICE_TAGS if t not in ds]
            if lacking and _sop_class_name(ds) in SLICE_CLASSES:
                # a CT / MR slice must place itself in space: its header
                # ends early (a truncated copy), not a slice to leave out
                raise ValueError(
                    f'a {_sop_class_name(ds)} object without '
                    f'{", ".join(lacking)}: its header is cut short '
                    f'({os.path.getsize(path)} bytes; truncated?)')
        except Exception as e:  # InvalidDicomError, truncated files, ...
            if not _claims_dicom(path):
                out['ignored'].append(path)
                continue
            if not skip_bad:
                raise DicomSeriesError(
                    f'{path}: unreadable DICOM file inside the series folder '
                    f'{folder} ({type(e).__name__}: {e}); remove it, or pass '
                    'skip_bad=True (--skip-bad) to continue without it') from e
            out['skipped'].append((path, f'{type(e).__name__}: {e}'))
            continue
        if 'ImagePositionPatient' in ds:  # an image slice with geometry
            out['series'].setdefault(series_key(ds), []).append((path, ds))
        else:
            out['others'].append(path)
    return out


def _require(ds, path, tag):
    value = ds.get(tag)
    if value is None or (hasattr(value, '__len__') and len(value) == 0):
        raise DicomSeriesError(f'{path}: no {tag}; a slice of a series needs '
                               'it to be placed in space')
    return value


def _check_one_acquisition(folder, headers):
    """Slices without a SeriesInstanceUID that agree on every tag of
    :data:`SERIES_KEY_TAGS` may still be two series (copies, or two
    reconstructions): a repeated ``InstanceNumber`` or ``SOPInstanceUID``
    shows it."""
    for tag in ('SOPInstanceUID', 'InstanceNumber'):
        seen = {}
        for path, ds in headers:
            value = str(ds.get(tag, '')).strip()
            if not value:
                continue
            if value in seen:
                raise DicomSeriesError(
                    f'{folder}: slices without a SeriesInstanceUID share '
                    f'{tag} {value} ({seen[value]} and {path}): they are '
                    'more than one series; put each series in its own folder '
                    'or give it its SeriesInstanceUID')
            seen[value] = path


def _choose_series(folder, series, series_uid):
    keys = sorted(series)
    if not keys:
        raise DicomSeriesError(f'{folder}: no DICOM image slices found')
    if series_uid is None:
        if len(keys) > 1:
            desc = '; '.join(f'{k} ({len(series[k])} files)' for k in keys)
            raise DicomSeriesError(
                f'{folder} holds {len(keys)} series: {desc}; pass series_uid '
                '(--series-uid) to choose one')
        return keys[0]
    if series_uid not in series:
        raise DicomSeriesError(f'{folder}: no slice of series {series_uid} '
                               f'(found {keys})')
    return series_uid


def read_dicom_series(folder, series_uid=None, gap_tolerance=0.1,
                      gaps='error', skip_bad=False, pixels=True) -> Volume:
    """Read one series from ``folder``.

    Args:
        folder: folder holding the slices (non-DICOM files are ignored).
        series_uid: which series to read when the folder holds several (its
            ``SeriesInstanceUID``, or the ``blank-uid:...`` key the error
            lists).
        gap_tolerance: relative deviation of a slice step from the median
            step above which it is a gap.
        gaps: ``'error'`` (default) or ``'resample'`` (interpolate onto a
            uniform grid; see the module docstring).
        skip_bad: skip unreadable DICOM files (and slices whose pixels do not
            decode) instead of failing; they are listed in
            ``meta['skipped']`` and a warning gives their number.
        pixels: ``False`` reads headers only: the geometry, slice order and
            files are the same, and ``data`` is a read-only zero array of
            the volume's shape that costs no memory (for numbering slices or
            resampling labels onto the series without decoding it).

    Returns:
        :class:`Volume` in (column, row, slice) index order with a RAS+ affine;
        ``meta`` holds the series key, the files used in order, the gaps, and
        the skipped and ignored files.
    """
    if gaps not in ('error', 'resample'):
        raise ValueError(f"gaps is 'error' or 'resample', not {gaps!r}")
    scan = scan_dicom_folder(folder, skip_bad)
    key = _choose_series(folder, scan['series'], series_uid)
    headers = scan['series'][key]
    skipped = list(scan['skipped'])

    if key.startswith('blank-uid:'):
        _check_one_acquisition(folder, headers)
    first_path, first = headers[0]
    iop = np.array(_require(first, first_path, 'ImageOrientationPatient'),
                   float)
    spacing_rc = np.array(_require(first, first_path, 'PixelSpacing'), float)
    shape = (int(first.Rows), int(first.Columns))
    for path, ds in headers:
        if not np.allclose(np.array(_require(ds, path,
                                             'ImageOrientationPatient'),
                                    float), iop, atol=1e-4):
            raise DicomSeriesError(
                f'{path}: ImageOrientationPatient differs from {first_path} '
                '(tilted or mixed stacks are not supported)')
        if not np.allclose(np.array(_require(ds, path, 'PixelSpacing'),
                                    float), spacing_rc, rtol=1e-4):
            raise DicomSeriesError(
                f'{path}: PixelSpacing {list(ds.PixelSpacing)} differs from '
                f'{list(spacing_rc)} in {first_path}')
        if (int(ds.Rows), int(ds.Columns)) != shape:
            raise DicomSeriesError(
                f'{path}: slice size {ds.Rows}x{ds.Columns} differs from '
                f'{shape[0]}x{shape[1]} in {first_path}')
    row_dir, col_dir = iop[:3], iop[3:]
    normal = np.cross(row_dir, col_dir)

    # pixels first, so that a slice skipped for bad pixels shows as a gap
    slices, used = [], []
    for path, ds in headers:
        if not pixels:
            used.append((path, ds))
            continue
        try:
            full = pydicom.dcmread(path)
            values = full.pixel_array.astype(np.float32)
        except Exception as e:  # missing decoder, corrupt data
            syntax = getattr(getattr(ds, 'file_meta', None),
                             'TransferSyntaxUID', '?')
            if not skip_bad:
                raise DicomSeriesError(
                    f'{path}: cannot decode pixel data (transfer syntax '
                    f'{syntax}): {e}; pass skip_bad=True (--skip-bad) to '
                    'continue without it') from e
            skipped.append((path, f'pixel data: {e}'))
            continue
        slope = float(full.get('RescaleSlope', 1.0))
        intercept = float(full.get('RescaleIntercept', 0.0))
        slices.append(values * slope + intercept)
        used.append((path, ds))
    if not used:
        raise DicomSeriesError(f'{folder}: no readable slice in series {key}')
    if skipped:
        warnings.warn(f'{folder}: skipped {len(skipped)} unreadable DICOM '
                      'file(s): ' + ', '.join(os.path.basename(p)
                                              for p, _ in skipped[:5]))

    positions = np.array([np.array(_require(ds, p, 'ImagePositionPatient'),
                                   float) for p, ds in used])
    along = positions @ normal
    order = np.argsort(along, kind='stable')
    along = along[order]
    files = [used[i][0] for i in order]
    steps = np.diff(along)
    if len(steps) and np.any(np.abs(steps) < 1e-6):
        dup = [(files[i], files[i + 1])
               for i in np.nonzero(np.abs(steps) < 1e-6)[0]]
        raise DicomSeriesError(
            f'{folder}: slices at the same position: {dup[:3]} (two series '
            'with one SeriesInstanceUID, or duplicated files)')
    step = float(np.median(steps)) if len(steps) else float(
        first.get('SliceThickness', 1.0) or 1.0)
    found_gaps = [dict(after=files[i], before=files[i + 1],
                       step_mm=float(s), expected_mm=step)
                  for i, s in enumerate(steps)
                  if abs(s - step) > gap_tolerance * step]
    if pixels:
        data = np.stack([slices[i] for i in order], axis=-1)  # rows, cols, k
    else:
        data = None
    if found_gaps:
        desc = ', '.join(f'{g["step_mm"]:.3f} mm between '
                         f'{os.path.basename(g["after"])} and '
                         f'{os.path.basename(g["before"])}'
                         for g in found_gaps[:5])
        if gaps == 'error':
            raise DicomSeriesError(
                f'{folder}: {len(found_gaps)} gap(s) in the slice positions '
                f'(expected steps of {step:.3f} mm): {desc}. A uniform grid '
                'would misplace the slices past a gap: pass gaps="resample" '
                '(--gaps resample) to interpolate onto a uniform grid, or '
                'complete the series')
        warnings.warn(f'{folder}: {len(found_gaps)} gap(s) ({desc}): '
                      f'resampled onto a uniform {step:.3f} mm grid')
        n = int(round((along[-1] - along[0]) / step)) + 1
    if found_gaps and data is not None:
        target = along[0] + step * np.arange(n)
        hi = np.clip(np.searchsorted(along, target, side='right'), 1,
                     len(along) - 1)
        lo = hi - 1
        w = np.clip((target - along[lo]) / (along[hi] - along[lo]), 0, 1)
        data = data[:, :, lo] * (1 - w) + data[:, :, hi] * w
        data = data.astype(np.float32)
    # pixel_array is (rows, columns); nibabel order is (column, row, slice)
    if data is None:
        k = n if found_gaps else len(files)
        data = np.broadcast_to(np.zeros((), np.float32), (shape[1], shape[0], k))
    else:
        data = np.ascontiguousarray(data.transpose(1, 0, 2))
    dr, dc = spacing_rc
    affine_lps = np.eye(4)
    affine_lps[:3, 0] = row_dir * dc  # i: along a row, next column
    affine_lps[:3, 1] = col_dir * dr  # j: down a column, next row
    affine_lps[:3, 2] = normal * step
    affine_lps[:3, 3] = positions[order[0]]
    return Volume(
        data, LPS_TO_RAS @ affine_lps,
        dict(source=str(folder), series_uid=key, files=files,
             gaps=found_gaps, skipped=skipped, ignored=scan['ignored'],
             modality=str(first.get('Modality', '') or ''),
             study_uid=str(first.get('StudyInstanceUID', '') or ''),
             normal=[float(x) for x in normal]))
