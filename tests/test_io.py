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

from conftest import ROOT, listed
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
    with pytest.raises(ValueError, match='1 gap'):
        read_dicom_series(str(tmp_path))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        vol = read_dicom_series(str(tmp_path), gaps='resample')
    assert len(vol.meta['gaps']) == 1
    assert vol.meta['gaps'][0]['step_mm'] == pytest.approx(4.0)
    assert any('resampled onto a uniform' in str(x.message) for x in w)


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
    assert listed(tmp_path) == ['v.nii.gz']


@pytest.mark.parametrize('tag', ['PixelSpacing', 'ImagerPixelSpacing'])
@pytest.mark.parametrize('mono1', [False, True])
def test_radiograph_round_trip_spacing_and_polarity(tmp_path, tag, mono1):
    from spinemm.io import read_dicom_image, write_dicom_radiograph
    from spinemm.phantoms import make_radiograph_phantom
    ph = make_radiograph_phantom(1, image_size=128)
    path = str(tmp_path / 'x.dcm')
    write_dicom_radiograph(path, ph.image, (ph.pixel_spacing, ) * 2,
                           spacing_tag=tag, monochrome1=mono1)
    img, spacing, meta = read_dicom_image(path)
    # bright = dense whatever the photometric interpretation on disk
    np.testing.assert_array_equal(img, ph.image.astype(np.float32))
    assert meta['inverted'] == mono1
    assert spacing == pytest.approx((ph.pixel_spacing, ) * 2, rel=1e-5)
    assert meta['spacing_source'] == tag
    assert listed(tmp_path) == ['x.dcm']


def test_radiograph_window_and_missing_spacing(tmp_path):
    from spinemm.io import read_dicom_image, write_dicom_radiograph
    img = np.tile(np.arange(0, 1000, 10, dtype=np.uint16), (4, 1))
    path = str(tmp_path / 'w.dcm')
    write_dicom_radiograph(path, img, (0.2, 0.2), WindowCenter='500',
                           WindowWidth='200', RescaleSlope='2',
                           RescaleIntercept='-100')
    raw, _, _ = read_dicom_image(path)
    np.testing.assert_allclose(raw[0, :3], [-100, -80, -60])  # modality LUT
    win, _, _ = read_dicom_image(path, apply_window=True)
    # linear window 400-600 (of modality values): flat outside, ramp inside
    row = win[0]
    assert row[0] == row[10] and row[-1] == row[-10]
    assert row[30] < row[33] < row[36]
    ds = pydicom.dcmread(path)
    del ds.PixelSpacing
    ds.save_as(path)
    _, spacing, meta = read_dicom_image(path)
    assert spacing is None and meta['spacing_source'] is None
    with pytest.raises(ValueError, match='not a DICOM'):
        bad = tmp_path / 'bad.dcm'
        bad.write_bytes(b'x' * 200)
        read_dicom_image(str(bad))


def test_spinetk_normalize_against_a_direct_computation():
    from spinemm.io import spinetk_normalize
    rng = np.random.default_rng(0)
    img = rng.normal(100, 20, (64, 64))
    img[:8] = 0  # background excluded from the statistics
    img[10, 10] = 1000  # an outlier is clipped
    out = spinetk_normalize(img)
    nz = img[img != 0]
    lo, hi = nz.mean() - 2.5 * nz.std(), nz.mean() + 2.5 * nz.std()
    expected = np.round((np.clip(img, lo, hi) - lo) / (hi - lo) * 255)
    np.testing.assert_array_equal(out, expected.astype(np.uint8))
    assert out[10, 10] == 255 and out.dtype == np.uint8
    vol = np.stack([np.zeros_like(img), img, img * 2], -1)
    np.testing.assert_array_equal(spinetk_normalize(vol), out)  # centre slice


def _world_centroids(vol):
    """World (RAS mm) centroid of every non-zero label."""
    out = {}
    for lab in np.unique(vol.data):
        if lab == 0:
            continue
        idx = np.argwhere(vol.data == lab).mean(0)
        out[int(lab)] = vol.affine[:3, :3] @ idx + vol.affine[:3, 3]
    return out


@needs_real
def test_reorientation_is_exact_and_reversible():
    from spinemm.io import reorient
    seg = read_nifti(osp.join(REAL, 'example_seg.nii.gz'))
    lps = reorient(seg, ('L', 'P', 'S'))
    assert lps.orientation == ('L', 'P', 'S')
    for lab, c in _world_centroids(seg).items():
        np.testing.assert_allclose(_world_centroids(lps)[lab], c, atol=1e-6)
    back = reorient(lps, seg.orientation)
    np.testing.assert_array_equal(back.data, seg.data)
    np.testing.assert_allclose(back.affine, seg.affine)


@needs_real
def test_resampling_keeps_labels_and_positions():
    from spinemm.io import resample
    seg = read_nifti(osp.join(REAL, 'example_seg.nii.gz'))
    fine = resample(seg, 1.5, is_label=True)
    assert fine.spacing == pytest.approx((1.5, 1.5, 1.5))
    assert set(np.unique(fine.data)) <= set(np.unique(seg.data))
    voxel = np.prod(seg.spacing)
    before, after = _world_centroids(seg), _world_centroids(fine)
    for lab in (30, 31, 32, 33):  # L2, L1, T12, T11
        n0 = (seg.data == lab).sum() * voxel
        n1 = (fine.data == lab).sum() * 1.5**3
        assert n1 == pytest.approx(n0, rel=0.15)
        # nearest-neighbour on a grid anchored at the first voxel centre
        # shifts a centroid by at most about half the old voxel
        assert np.linalg.norm(after[lab] - before[lab]) < 1.6
    ct = read_nifti(osp.join(REAL, 'example_ct_sm.nii.gz'))
    up = resample(ct, 1.5)
    down = resample(up, ct.spacing, shape=ct.data.shape)
    a, b = ct.data.astype(float).ravel(), down.data.astype(float).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.95


def test_dicom2png_tool_windows_inverts_and_is_idempotent(tmp_path):
    import cv2

    from conftest import run_tool
    from spinemm.io import write_dicom_radiograph
    src = tmp_path / 'dcm'
    img = np.tile(np.arange(0, 1000, 10, dtype=np.uint16), (20, 1))
    write_dicom_radiograph(str(src / 'a' / 'plain.dcm'), img, (0.2, 0.2))
    write_dicom_radiograph(str(src / 'inverted'), img, (0.2, 0.2),
                           monochrome1=True)  # no extension: found by content
    (src / 'notes.txt').write_text('not a DICOM file')
    out = tmp_path / 'png'
    args = ['python', 'tools/dataset_converters/dicom2png.py', str(src),
            str(out), '--window', '500', '1000']
    proc = run_tool(args)
    assert proc.returncode == 0, proc.stderr
    assert '2 PNG file(s)' in proc.stdout
    plain = cv2.imread(str(out / 'a' / 'plain.png'), cv2.IMREAD_UNCHANGED)
    inv = cv2.imread(str(out / 'inverted.png'), cv2.IMREAD_UNCHANGED)
    want = np.round(np.clip(img / 1000.0, 0, 1) * 255).astype(np.uint8)
    np.testing.assert_array_equal(plain, want)
    # MONOCHROME1 is stored inverted and read back bone-bright
    np.testing.assert_array_equal(inv, want)
    mtime = os.stat(out / 'inverted.png').st_mtime_ns
    assert run_tool(args).returncode == 0
    assert os.stat(out / 'inverted.png').st_mtime_ns == mtime
    bad = tmp_path / 'bad'
    bad.mkdir()
    (bad / 'broken.dcm').write_bytes(b'\0' * 128 + b'DICM' + b'\x02\x00')
    proc = run_tool(['python', 'tools/dataset_converters/dicom2png.py',
                     str(bad), str(tmp_path / 'o')])
    assert proc.returncode != 0 and 'broken.dcm' in proc.stderr
