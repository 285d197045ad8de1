"""DICOM series and NIfTI reading on real CT (TotalSegmentator test files,
Apache-2.0, ../shared/data/real/totalseg_ct)."""
import os
import os.path as osp
import shutil
import warnings

import nibabel as nib
import numpy as np
import pydicom
import pytest

from conftest import ROOT
from spinemm.io import Volume, read_dicom_series, read_nifti, write_nifti

REAL = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real', 'totalseg_ct')
DICOM_DIR = osp.join(REAL, 'example_ct_dicom')
needs_real = pytest.mark.skipif(
    not osp.isdir(DICOM_DIR), reason='../shared/data/real is not present')


@pytest.fixture(scope='module')
def series():
    return read_dicom_series(DICOM_DIR)


@needs_real
def test_series_geometry_matches_the_reference_segmentation(series):
    # example_seg_dicom.nii.gz was written by TotalSegmentator in the series'
    # physical space: same grid, so the same canonical affine and shape
    seg = nib.load(osp.join(REAL, 'example_seg_dicom.nii.gz'))
    assert series.data.shape == seg.shape == (512, 512, 20)
    ours = nib.as_closest_canonical(series.to_nifti())
    theirs = nib.as_closest_canonical(seg)
    np.testing.assert_allclose(ours.affine, theirs.affine, atol=1e-3)
    assert series.spacing == pytest.approx((0.9765625, 0.9765625, 2.0))
    assert series.orientation == ('L', 'P', 'S')
    assert series.meta['gaps'] == []
    # HU: the JPEG 2000 pixels decoded and rescaled (intercept -1024): air
    # around the patient is about -1000 HU, and the labelled vertebrae
    # (T12 = 32, T11 = 33) are bone
    ct = np.asarray(ours.dataobj)
    labels = np.asarray(theirs.dataobj)
    assert np.percentile(ct, 1) < -900
    assert np.median(ct[np.isin(labels, (32, 33))]) > 150
    assert np.median(ct[labels == 0]) < 100


@needs_real
def test_slice_order_comes_from_positions_not_names(series, tmp_path):
    files = series.meta['files']
    rng = np.random.default_rng(0)
    for n, i in enumerate(rng.permutation(len(files))):
        ds = pydicom.dcmread(files[i])
        ds.InstanceNumber = int(rng.integers(1, 1000))  # scrambled too
        ds.save_as(str(tmp_path / f'{n:03d}.dcm'))
    (tmp_path / 'notes.txt').write_text('not a DICOM file')
    shuffled = read_dicom_series(str(tmp_path))
    np.testing.assert_array_equal(shuffled.data, series.data)
    np.testing.assert_allclose(shuffled.affine, series.affine)


@needs_real
def test_missing_slice_is_reported_as_a_gap(series, tmp_path):
    for f in series.meta['files'][:10] + series.meta['files'][11:]:
        shutil.copy(f, tmp_path)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        vol = read_dicom_series(str(tmp_path))
    assert len(vol.meta['gaps']) == 1
    assert vol.meta['gaps'][0]['step_mm'] == pytest.approx(4.0)
    assert any('uneven slice step' in str(x.message) for x in w)


def test_bad_input_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        read_dicom_series(str(tmp_path / 'nowhere'))
    (tmp_path / 'a.txt').write_text('hello')
    with pytest.raises(ValueError, match='no DICOM image slices'):
        read_dicom_series(str(tmp_path))
    bad = tmp_path / 'bad.nii.gz'
    bad.write_bytes(b'not a nifti')
    with pytest.raises(ValueError, match='bad.nii.gz'):
        read_nifti(str(bad))


def test_nifti_round_trip_keeps_the_affine(tmp_path):
    affine = np.array([[0, 0, -2.0, 10], [1.5, 0, 0, -20], [0, 1.5, 0, 5],
                       [0, 0, 0, 1]])
    data = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    path = str(tmp_path / 'v.nii.gz')
    write_nifti(Volume(data, affine), path)
    back = read_nifti(path)
    np.testing.assert_array_equal(back.data, data)
    np.testing.assert_allclose(back.affine, affine)
    assert back.spacing == pytest.approx((1.5, 1.5, 2.0))
    assert back.orientation == ('A', 'S', 'L')
    assert os.listdir(tmp_path) == ['v.nii.gz']
