"""Volumes and labels from data nobody here made (issue 11, item 4): a real
VerSe mask (sub-verse004, CC BY-SA 4.0, ../shared/data/real/verse004_labels)
stored on another grid than its CT, labels outside VerSe's set, NaN voxels,
integer resampling, image/label pairs of different sizes."""
import os
import os.path as osp

import cv2
import nibabel as nib
import numpy as np
import pytest

from conftest import ROOT, ok, run_tool
from spinemm.evaluation.verse_metrics import vertebra_dice
from spinemm.formats.verse import index_verse
from spinemm.formats.verse_volumes import load_verse_case
from spinemm.io import Volume, read_nifti, resample, resample_to, write_nifti

VERSE004 = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real',
                    'verse004_labels', 'sub-verse004_seg-vert_msk.nii.gz')
needs_real = pytest.mark.skipif(not osp.isfile(VERSE004),
                                reason='../shared/data/real is not present')


def _verse_root(root, ct, mask, stem='sub-verse004'):
    raw = osp.join(root, 'dataset-verse19training', 'rawdata', stem)
    der = osp.join(root, 'dataset-verse19training', 'derivatives', stem)
    write_nifti(ct, osp.join(raw, f'{stem}_ct.nii.gz'))
    write_nifti(mask, osp.join(der, f'{stem}_seg-vert_msk.nii.gz'))
    return index_verse(root)[0]


def _crop(vol, lo, hi):
    """The voxels lo:hi with the affine that keeps them in place."""
    data = vol.data[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    affine = vol.affine.copy()
    affine[:3, 3] = vol.voxel_to_world([lo])[0]
    return Volume(np.ascontiguousarray(data), affine, dict(vol.meta))


@pytest.fixture(scope='module')
def verse004():
    mask = read_nifti(VERSE004)
    ct = Volume(np.where(mask.data > 0, 400, -1000).astype(np.int16),
                mask.affine.copy())
    return ct, mask


@needs_real
def test_a_mask_on_another_grid_lands_where_it_belongs(verse004, tmp_path):
    """Before: the cropped mask was re-stamped with the CT's affine (Dice
    0.446 of a mask against itself through eval_verse.py)."""
    ct, mask = verse004
    idx = np.argwhere(mask.data > 0)
    lo = np.maximum(idx.min(0) - 3, 0)
    hi = np.minimum(idx.max(0) + 4, mask.data.shape)
    cropped = _crop(mask, lo, hi)
    assert cropped.data.shape != mask.data.shape
    full_case = _verse_root(str(tmp_path / 'full'), ct, mask)
    crop_case = _verse_root(str(tmp_path / 'crop'), ct, cropped)
    a = load_verse_case(dict(full_case, centroids=None))['mask']
    b = load_verse_case(dict(crop_case, centroids=None))['mask']
    dice = vertebra_dice(b.data, a.data)
    assert sorted(dice) == list(range(16, 25))  # T9-L5
    assert min(dice.values()) == 1.0
    # the scoring tool: the full mask as prediction, the cropped as truth
    pred = tmp_path / 'pred'
    write_nifti(mask, str(pred / 'sub-verse004_seg-vert_msk.nii.gz'))
    out = ok(run_tool(['python', 'tools/analysis_tools/eval_verse.py',
                       str(pred), str(tmp_path / 'crop'), '--no-hd']))
    assert 'Dice 1.000' in out and 'id.rate 1.000' in out


@needs_real
def test_a_mask_that_misses_the_ct_is_refused(verse004, tmp_path):
    ct, mask = verse004
    far = Volume(mask.data, mask.affine.copy())
    far.affine[:3, 3] += 1000.0
    case = _verse_root(str(tmp_path), ct, far)
    with pytest.raises(ValueError, match='do not overlap') as e:
        load_verse_case(case)
    assert 'seg-vert_msk' in str(e.value) and '_ct.nii.gz' in str(e.value)


@needs_real
@pytest.mark.parametrize('bad,shown', [(276, '276'), (99, '99')])
def test_labels_outside_verse_are_refused_before_any_cast(verse004, tmp_path,
                                                          bad, shown):
    """Before: 276 wrapped through uint8 to 20 (L1); 99 vanished."""
    ct, mask = verse004
    data = mask.data.astype(np.int32)
    data[data == 20] = bad
    case = _verse_root(str(tmp_path), ct, Volume(data, mask.affine.copy()))
    with pytest.raises(ValueError, match=shown) as e:
        load_verse_case(case)
    assert 'seg-vert_msk' in str(e.value)


def test_nan_voxels_are_an_error_naming_the_file(tmp_path):
    data = np.zeros((8, 8, 8), np.float32)
    data[2, 3, 4] = np.nan
    path = str(tmp_path / 'ct.nii.gz')
    nib.save(nib.Nifti1Image(data, np.eye(4)), path)
    with pytest.raises(ValueError, match='1 of 512 voxels are NaN') as e:
        read_nifti(path)
    assert path in str(e.value)
    nib.save(nib.Nifti1Image(np.full((4, 4, 4), np.nan, np.float32),
                             np.eye(4)), path)
    with pytest.raises(ValueError, match='64 of 64'):
        read_nifti(path)
    assert np.isnan(read_nifti(path, allow_nonfinite=True).data).all()


def test_integer_resampling_rounds_and_identity_is_identity():
    """Before: SimpleITK truncated the linear interpolation of an int image
    (1,313 of 171,600 voxels off by one on its own grid)."""
    rng = np.random.default_rng(0)
    data = rng.integers(-1000, 2000, (40, 30, 20)).astype(np.int16)
    affine = np.diag([0.7, 0.7, 2.5, 1.0])
    affine[:3, 3] = (-10.3, 5.1, 7.7)
    vol = Volume(data, affine)
    same = resample(vol, (0.7, 0.7, 2.5))
    np.testing.assert_array_equal(same.data, data)
    np.testing.assert_array_equal(resample_to(vol, vol).data, data)
    # off the grid: float interpolation, rounded (numpy's half to even)
    out = resample(vol, (0.5, 0.5, 1.0))
    fl = resample(Volume(data.astype(np.float64), affine), (0.5, 0.5, 1.0))
    assert out.data.dtype == np.int16
    np.testing.assert_array_equal(out.data, np.round(fl.data).astype(
        np.int16))
    # an independent check of one voxel: halfway along k between two slices
    mid = resample(vol, (0.7, 0.7, 1.25), shape=(40, 30, 39))
    expect = np.round((data[5, 6, 3].astype(float) + data[5, 6, 4]) / 2)
    assert mid.data[5, 6, 7] == expect


def test_image_label_size_mismatch_names_both_files(tmp_path):
    from spinemm.seg.datasets import ImageLabelPairDataset
    (tmp_path / 'images').mkdir()
    (tmp_path / 'masks').mkdir()
    cv2.imwrite(str(tmp_path / 'images' / '0.png'),
                np.zeros((64, 64), np.uint8))
    np.save(tmp_path / 'masks' / '0.npy', np.zeros((32, 64), np.int64))
    ds = ImageLabelPairDataset(
        data_root=str(tmp_path), lazy_init=False,
        pipeline=[dict(type='spinemm.LoadImageLabelPair')])
    with pytest.raises(ValueError, match='same size') as e:
        ds[0]
    assert '0.png' in str(e.value) and '0.npy' in str(e.value)
    assert os.listdir(tmp_path / 'masks') == ['0.npy']


TOTALSEG = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real',
                    'totalseg_ct')


@pytest.mark.skipif(not osp.isdir(TOTALSEG),
                    reason='../shared/data/real is not present')
def test_report_refuses_a_label_map_given_as_an_image():
    """Before: a folder of NIfTI had its label maps reported as images."""
    from spinemm.apis.report import load_any
    with pytest.raises(ValueError, match='looks like a label map') as e:
        load_any(osp.join(TOTALSEG, 'example_seg.nii.gz'))
    assert 'example_seg.nii.gz' in str(e.value)
    img, spacing, _ = load_any(osp.join(TOTALSEG, 'example_ct_sm.nii.gz'))
    assert img.dtype == np.uint8 and spacing is not None
