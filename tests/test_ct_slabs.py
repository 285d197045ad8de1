"""2.5D slabs synthesised from CT templates (spinemm.synthesis.slabs): cut
the way the whole-CT segmenter cuts a CT, seeded, near the column."""
import numpy as np
from scipy import ndimage
import pytest

from spinemm.formats.verse_slices import take_slice
from spinemm.synthesis.anatomy_codes import anatomy_classes
from spinemm.synthesis.body_centres import (CENTRE_CLASSES, body_centre_mask,
                                            centre_classes)
from spinemm.synthesis.slabs import LoadSynthCTSlab, SynthCTSlabDataset
from spinemm.synthesis.transforms import load_template

SPACING = 3.0  # the phantom templates of conftest are written at 3 mm


def _item(root, plane, idx=0):
    ds = SynthCTSlabDataset(root, plane=plane, context=1, spacing=SPACING,
                            samples_per_template=2, lazy_init=False,
                            pipeline=[])
    return dict(ds.get_data_info(idx), sample_idx=idx)


def _cut(volume, centre, plane, shape=(48, 40)):
    """The undeformed patch of a slab centred at ``centre`` by plain
    indexing: ``shape`` in the plane, the slab and two slices on each
    side across it; outside the volume 0 (air)."""
    size = [shape[0], shape[1], shape[1]]
    size[2 if plane == 'sagittal' else 1] = 7
    idx = [np.rint(np.arange(s) - (s - 1) / 2 + ck).astype(int)
           for s, ck in zip(size, centre)]
    patch = volume[np.ix_(*[np.clip(i, 0, n - 1)
                            for i, n in zip(idx, volume.shape)])]
    for axis, (i, n) in enumerate(zip(idx, volume.shape)):
        shape = [1, 1, 1]
        shape[axis] = -1
        patch = patch * ((i >= 0) & (i < n)).reshape(shape)
    return patch


@pytest.mark.parametrize('plane', ['sagittal', 'coronal'])
def test_slab_is_the_template_cut_in_display_order(ct_phantom_templates,
                                                   plane):
    """Undeformed, a slab's labels are the template's own slice at the slab
    centre, in the display order the segmenter uses (rows head to foot;
    sagittal columns front to back, coronal right to left), computed here
    by plain indexing."""
    load = LoadSynthCTSlab(crop_size=(48, 40), foreground_prob=1.0,
                           lateral_mm=20.0, deterministic=True,
                           deform=dict(matrix=np.eye(3), elastic_voxels=0))
    item = _item(ct_phantom_templates, plane)
    out = load(dict(item))
    assert out['img'].shape == (48, 40, 3) and out['img'].dtype == np.uint8
    assert out['gt_seg_map'].shape == (48, 40)
    tpl = load_template(item['case']['codes'], item['case']['ct'], SPACING)
    patch = _cut(tpl['codes'], out['slab_centre'], plane)
    want = take_slice(anatomy_classes(patch, SPACING), 3, plane)
    got = out['gt_seg_map']
    assert (want > 0).sum() > 50  # the slab holds bone
    # the border of the patch is where the contact band sees less
    np.testing.assert_array_equal(got[2:-2, 2:-2], want[2:-2, 2:-2])


def test_centre_mode_slab_carries_the_templates_body_centres(
        ct_phantom_templates):
    """``mode='anatomy_centres'``: the same cut, with the template's body
    centres (computed on the template, before the patch is cut) as class
    5, and the dataset names six classes."""
    ds = SynthCTSlabDataset(ct_phantom_templates, spacing=SPACING,
                            mode='anatomy_centres', samples_per_template=2,
                            lazy_init=False, pipeline=[])
    assert ds.metainfo['classes'] == CENTRE_CLASSES
    assert len(ds.metainfo['palette']) == 6
    load = LoadSynthCTSlab(crop_size=(48, 40), foreground_prob=1.0,
                           lateral_mm=0.0, deterministic=True,
                           deform=dict(matrix=np.eye(3), elastic_voxels=0))
    item = dict(ds.get_data_info(0), sample_idx=0)
    out = load(dict(item))
    tpl = load_template(item['case']['codes'], item['case']['ct'], SPACING)
    c = out['slab_centre']
    centres = _cut(body_centre_mask(tpl['codes'], SPACING).astype(np.uint8),
                   c, 'sagittal').astype(bool)
    want = take_slice(centre_classes(_cut(tpl['codes'], c, 'sagittal'),
                                     centres, SPACING), 3, 'sagittal')
    got = out['gt_seg_map']
    assert (want == 5).sum() > 10  # a slab through a vertebra's middle
    np.testing.assert_array_equal(got[2:-2, 2:-2], want[2:-2, 2:-2])


def test_slabs_are_seeded_and_lie_beside_the_column(ct_phantom_templates):
    load = LoadSynthCTSlab(crop_size=(40, 40), foreground_prob=1.0,
                           lateral_mm=30.0, deterministic=True)
    item = _item(ct_phantom_templates, 'sagittal')
    a, b = load(dict(item)), load(dict(item))
    np.testing.assert_array_equal(a['img'], b['img'])
    np.testing.assert_array_equal(a['gt_seg_map'], b['gt_seg_map'])
    other = load(dict(item, sample_idx=1))
    assert not np.array_equal(a['img'], other['img'])
    tpl = load_template(item['case']['codes'], item['case']['ct'], SPACING)
    right = np.array([c[2] for c in tpl['centres'].values()])
    far = []
    for k in range(30):
        c = load(dict(item, sample_idx=k))['slab_centre']
        far.append(np.abs(right - c[2]).min() * SPACING)
    # within 30 mm of a vertebra's centre across the plane, spread over it
    assert max(far) <= 30.0 + 1e-6 and np.ptp(far) > 10.0


def test_bone_scale_lowers_bone_hu_and_keeps_the_labels(ct_phantom_templates):
    from spinemm.synthesis.synth_ct import scale_bone
    codes = np.array([[[0, 14, 60]]], np.uint8)  # air, T7, muscle
    hu = np.array([[[-1000.0, 400.0, 40.0]]], np.float32)
    np.testing.assert_array_equal(scale_bone(hu, codes, 0.25)[0, 0],
                                  [-1000.0, 100.0, 40.0])
    item = _item(ct_phantom_templates, 'sagittal')
    kw = dict(crop_size=(40, 40), foreground_prob=1.0, lateral_mm=0.0,
              deterministic=True, paint_probs=[('real', 1.0)])
    dense = LoadSynthCTSlab(**kw)(dict(item))
    light = LoadSynthCTSlab(bone_scale=(0.4, 0.4), **kw)(dict(item))
    np.testing.assert_array_equal(dense['gt_seg_map'], light['gt_seg_map'])
    bone = dense['gt_seg_map'] == 1
    assert bone.sum() > 50
    mid = dense['img'][..., 1].astype(float)  # the labelled slice
    low = light['img'][..., 1].astype(float)
    # HU window -500..1300 over 0..255 (7.06 HU a step): bone 60 % lighter
    # is darker by 0.6 x its HU (the phantom's bone density is drawn: 130
    # to 420 HU on the slabs of the test phantoms); the rest differs by
    # the later draws only (noise and a bias field of 30 HU)
    bone_hu = mid[bone].mean() * 1800 / 255 - 500
    expected = 0.6 * bone_hu / (1800 / 255)
    drop = mid[bone].mean() - low[bone].mean()
    shift = abs(np.median(low[~bone]) - np.median(mid[~bone]))
    assert bone_hu > 100 and abs(drop - expected) < 0.2 * expected + 2, \
        (drop, expected)
    assert shift < 8, shift



def test_side_walls_fade_and_the_endplates_stay():
    """A 12-voxel cube vertebra, 100 HU inside, 900 HU on its outer
    layer: at weight 0.25 the walls facing front, back and sideways go to
    100 + 0.25 x 800, the faces head and foot (the endplates) stay, and
    so do the inside and everything that is no vertebra (a rib)."""
    from spinemm.synthesis.synth_ct import soften_side_walls
    codes = np.zeros((20, 20, 24), np.uint8)
    codes[4:16, 4:16, 4:16] = 20  # L1
    codes[8:10, 8:10, 18:24] = 110  # a rib, bright all through
    hu = np.where(codes > 0, 900.0, 0.0).astype(np.float32)
    hu[5:15, 5:15, 5:15] = 100.0
    out = soften_side_walls(hu, codes, 0.25)
    for at in [(10, 4, 10), (10, 15, 10), (10, 10, 4), (10, 10, 15),
               (10, 4, 4)]:
        assert out[at] == 300.0, at
    for at in [(4, 10, 10), (15, 10, 10), (4, 4, 4), (10, 10, 10)]:
        assert out[at] == hu[at], at
    np.testing.assert_array_equal(out[codes == 110], 900.0)
    np.testing.assert_array_equal(out[codes == 0], 0.0)
    np.testing.assert_array_equal(soften_side_walls(hu, codes, 1.0), hu)


def test_a_slab_with_faded_walls_keeps_its_labels(ct_phantom_templates):
    """Weight 1 (walls as painted) against weight 0 (walls at the inside's
    median), the same random draws otherwise: the labels are the same,
    bone is darker and, away from it, the slabs are the same but for the
    acquisition blur's reach."""
    kw = dict(crop_size=(40, 40), foreground_prob=1.0, lateral_mm=0.0,
              deterministic=True, paint_probs=[('real', 1.0)])
    # a slab with dense bone (a wall of 200 HU over the inside or more;
    # the phantoms' bone density is drawn, and at 130 HU there is no wall)
    for idx in range(4):
        item = _item(ct_phantom_templates, 'sagittal', idx)
        plain = LoadSynthCTSlab(side_wall=(1.0, 1.0), **kw)(dict(item))
        bone = plain['gt_seg_map'] == 1
        if plain['img'][..., 1][bone].mean() * 1800 / 255 - 500 > 250:
            break
    else:
        pytest.fail('no slab of the test phantoms has dense bone')
    faded = LoadSynthCTSlab(side_wall=(0.0, 0.0), **kw)(dict(item))
    np.testing.assert_array_equal(plain['gt_seg_map'], faded['gt_seg_map'])
    bone = plain['gt_seg_map'] == 1
    a = plain['img'][..., 1].astype(float)
    b = faded['img'][..., 1].astype(float)
    far = ~ndimage.binary_dilation(plain['gt_seg_map'] > 0, iterations=4)
    assert far.sum() > 100
    assert a[bone].mean() - b[bone].mean() > 4  # 28 HU over all bone
    assert (a - b)[bone].max() > 30  # a wall: 200 HU or more
    assert np.abs(a - b)[far].max() <= 3  # the blur's tails
    assert np.abs(a - b)[far].mean() < 0.2


def test_slab_dataset_refuses_bad_settings(ct_phantom_templates):
    with pytest.raises(ValueError, match='plane'):
        SynthCTSlabDataset(ct_phantom_templates, plane='axial')
    with pytest.raises(ValueError, match='mode'):
        SynthCTSlabDataset(ct_phantom_templates, mode='levels')
    with pytest.raises(KeyError, match='SynthCTSlabDataset'):
        LoadSynthCTSlab()(dict(case=dict(stem='x', codes='', ct=None)))
