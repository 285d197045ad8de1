"""2.5D slabs synthesised from CT templates (spinemm.synthesis.slabs): cut
the way the whole-CT segmenter cuts a CT, seeded, near the column."""
import numpy as np
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
    # HU window -500..1300 over 0..255 (7 HU a step): bone 60 % lighter is
    # darker by far; the rest differs by the later draws only (noise and a
    # bias field of 30 HU)
    drop = mid[bone].mean() - low[bone].mean()
    shift = abs(np.median(low[~bone]) - np.median(mid[~bone]))
    assert drop > 15 and shift < 8, (drop, shift)


def test_slab_dataset_refuses_bad_settings(ct_phantom_templates):
    with pytest.raises(ValueError, match='plane'):
        SynthCTSlabDataset(ct_phantom_templates, plane='axial')
    with pytest.raises(ValueError, match='mode'):
        SynthCTSlabDataset(ct_phantom_templates, mode='levels')
    with pytest.raises(KeyError, match='SynthCTSlabDataset'):
        LoadSynthCTSlab()(dict(case=dict(stem='x', codes='', ct=None)))
