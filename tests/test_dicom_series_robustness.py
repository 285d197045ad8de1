"""DICOM series on real slices (TotalSegmentator's JPEG 2000 CT series,
Apache-2.0, ../shared/data/real/totalseg_ct): copies with blank UIDs, gaps,
corrupt slices and missing tags (issue 11, item 3)."""
import os
import os.path as osp
import shutil

import numpy as np
import pydicom
import pytest

from conftest import ROOT
from spinemm.apis.inputs import list_report_inputs
from spinemm.io import read_dicom_series
from spinemm.io.dicom_series import DicomSeriesError, scan_dicom_folder

DICOM_DIR = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real',
                     'totalseg_ct', 'example_ct_dicom')
pytestmark = pytest.mark.skipif(not osp.isdir(DICOM_DIR),
                                reason='../shared/data/real is not present')


@pytest.fixture(scope='module')
def series():
    return read_dicom_series(DICOM_DIR)


def _copy(src_files, folder, edit=None, prefix=''):
    os.makedirs(folder, exist_ok=True)
    out = []
    for i, f in enumerate(src_files):
        dst = osp.join(folder, prefix + osp.basename(f))
        if edit is None:
            shutil.copy(f, dst)
        else:
            ds = pydicom.dcmread(f)
            edit(ds, i)
            ds.save_as(dst)
        out.append(dst)
    return out


def test_two_series_with_blank_uids_are_not_merged(series, tmp_path):
    """Before: one volume of 40 slices at 1 mm, the two series interleaved."""
    files = series.meta['files']
    step = series.spacing[2]

    def first(ds, i):
        ds.SeriesInstanceUID = ''
        ds.SeriesNumber = 2

    def second(ds, i):  # a second reconstruction, half a slice further
        ds.SeriesInstanceUID = ''
        ds.SeriesNumber = 3
        z = [float(v) for v in ds.ImagePositionPatient]
        z[2] += step / 2
        ds.ImagePositionPatient = z

    _copy(files, str(tmp_path), first, 'a_')
    _copy(files, str(tmp_path), second, 'b_')
    with pytest.raises(DicomSeriesError, match='holds 2 series'):
        read_dicom_series(str(tmp_path))
    keys = sorted(scan_dicom_folder(str(tmp_path))['series'])
    assert len(keys) == 2 and all(k.startswith('blank-uid:') for k in keys)
    vol = read_dicom_series(str(tmp_path), series_uid=keys[0])
    assert vol.data.shape == series.data.shape
    assert vol.spacing[2] == pytest.approx(step)


def test_blank_uid_copies_that_no_tag_tells_apart_are_refused(series,
                                                              tmp_path):
    def blank(ds, i):
        ds.SeriesInstanceUID = ''

    def blank_shifted(ds, i):
        ds.SeriesInstanceUID = ''
        z = [float(v) for v in ds.ImagePositionPatient]
        z[2] += series.spacing[2] / 2
        ds.ImagePositionPatient = z

    _copy(series.meta['files'], str(tmp_path), blank, 'a_')
    _copy(series.meta['files'], str(tmp_path), blank_shifted, 'b_')
    with pytest.raises(DicomSeriesError, match='more than one series'):
        read_dicom_series(str(tmp_path))


def test_a_corrupt_slice_is_named_or_skipped_and_counted(series, tmp_path):
    files = _copy(series.meta['files'], str(tmp_path))
    bad = files[7]
    with open(bad, 'r+b') as f:  # DICM marker kept, the rest garbage
        f.seek(132)
        f.write(os.urandom(400))
        f.truncate(600)
    (tmp_path / 'notes.txt').write_text('not DICOM, ignored')
    with pytest.raises(DicomSeriesError) as e:
        read_dicom_series(str(tmp_path))
    assert bad in str(e.value) and '--skip-bad' in str(e.value)
    # skipped: the hole it leaves is a gap, an error unless resampled
    with pytest.raises(DicomSeriesError, match='gap'):
        read_dicom_series(str(tmp_path), skip_bad=True)
    with pytest.warns(UserWarning, match='skipped 1 unreadable'):
        vol = read_dicom_series(str(tmp_path), skip_bad=True,
                                gaps='resample')
    assert [p for p, _ in vol.meta['skipped']] == [bad]
    assert vol.meta['ignored'] == [str(tmp_path / 'notes.txt')]


def test_a_gap_is_an_error_or_resampled_at_true_positions(series, tmp_path):
    """Before: a uniform affine across the gap put slices 11-19 one slice
    off. Now: an error by default; resampled, every output slice sits at its
    world position and matches the original slice there."""
    files = series.meta['files']
    _copy(files[:10] + files[11:], str(tmp_path))
    with pytest.raises(DicomSeriesError) as e:
        read_dicom_series(str(tmp_path))
    assert osp.basename(files[9]) in str(e.value)
    assert osp.basename(files[11]) in str(e.value)
    with pytest.warns(UserWarning, match='resampled'):
        vol = read_dicom_series(str(tmp_path), gaps='resample')
    assert vol.data.shape == series.data.shape
    np.testing.assert_allclose(vol.affine, series.affine, atol=1e-4)
    kept = [k for k in range(20) if k != 10]
    np.testing.assert_allclose(vol.data[..., kept], series.data[..., kept],
                               atol=1e-3)
    mean = (series.data[..., 9] + series.data[..., 11]) / 2
    np.testing.assert_allclose(vol.data[..., 10], mean, atol=1e-3)
    assert len(vol.meta['gaps']) == 1
    assert vol.meta['gaps'][0]['step_mm'] == pytest.approx(4.0)


@pytest.mark.parametrize('tag', ['PixelSpacing', 'ImageOrientationPatient'])
def test_missing_geometry_tags_name_the_file(series, tmp_path, tag):
    files = _copy(series.meta['files'], str(tmp_path))
    ds = pydicom.dcmread(files[4])
    delattr(ds, tag)
    ds.save_as(files[4])
    with pytest.raises(DicomSeriesError, match=tag) as e:
        read_dicom_series(str(tmp_path))
    assert files[4] in str(e.value)


def test_slices_of_another_size_name_the_file(series, tmp_path):
    files = _copy(series.meta['files'], str(tmp_path))
    ds = pydicom.dcmread(files[3])
    ds.decompress()
    px = ds.pixel_array[:256, :256].copy()
    ds.Rows, ds.Columns = px.shape
    ds.PixelData = px.tobytes()
    ds.save_as(files[3])
    with pytest.raises(DicomSeriesError, match='slice size') as e:
        read_dicom_series(str(tmp_path))
    assert files[3] in str(e.value)


def test_report_takes_a_series_folder_with_an_extra_file(series, tmp_path):
    """Before: one extra (non-slice) file made every slice a radiograph."""
    _copy(series.meta['files'], str(tmp_path))
    shutil.copy(series.meta['files'][0], tmp_path / 'thumbnail.dcm')
    ds = pydicom.dcmread(tmp_path / 'thumbnail.dcm')
    del ds.ImagePositionPatient
    ds.SeriesInstanceUID = '1.2.3.4'
    ds.save_as(tmp_path / 'thumbnail.dcm')
    (tmp_path / 'README.txt').write_text('scan notes')
    items, _ = list_report_inputs(str(tmp_path))
    assert items == [(str(tmp_path), series.meta['series_uid'])]


def test_report_lists_series_and_skips_label_maps(series, tmp_path):
    def other(ds, i):
        ds.SeriesInstanceUID = '1.2.826.0.1.99'

    _copy(series.meta['files'][:5], str(tmp_path), None, 'a_')
    _copy(series.meta['files'][:5], str(tmp_path), other, 'b_')
    with pytest.raises(ValueError, match='--series-uid'):
        list_report_inputs(str(tmp_path))
    items, _ = list_report_inputs(str(tmp_path), '1.2.826.0.1.99')
    assert items == [(str(tmp_path), '1.2.826.0.1.99')]
    nii = tmp_path / 'nifti'
    nii.mkdir()
    for name in ('case_ct.nii.gz', 'case_seg-vert_msk.nii.gz',
                 'example_seg.nii.gz'):
        (nii / name).write_bytes(b'')
    items, skipped = list_report_inputs(str(nii))
    assert items == [(str(nii / 'case_ct.nii.gz'), None)]
    assert len(skipped) == 2


def test_jpeg_lossless_pixels_decode():
    """JPEG Lossless (1.2.840.10008.1.2.4.70), the syntax of many RSNA 2022
    studies, needs pylibjpeg-libjpeg: pydicom's own colour-bar file
    decodes to its published bars exactly."""
    import os

    import pydicom
    path = os.path.join(os.path.dirname(pydicom.__file__), 'data',
                        'test_files', 'SC_rgb_jpeg_gdcm.dcm')
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == '1.2.840.10008.1.2.4.70'
    arr = ds.pixel_array
    bars = [(255, 0, 0), (255, 128, 128), (0, 255, 0), (128, 255, 128),
            (0, 0, 255), (128, 128, 255), (0, 0, 0), (64, 64, 64),
            (192, 192, 192), (255, 255, 255)]
    assert [tuple(int(v) for v in arr[r, 50]) for r in range(5, 100, 10)] \
        == bars
