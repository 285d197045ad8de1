"""Gaps in a lateral column, on the real films' truth columns: weak
detections kept only where they fill a gap (fill_gaps), a miscounted gap
re-counted when the count between the anchors is fixed (_reconcile), boxes
for vertebrae not found (skipped_boxes) and fronts turned to the back
(facing_away)."""
import numpy as np
import pytest

from conftest import LATERAL, needs_real
from test_lateral_levels import _detections


@pytest.fixture(scope='module')
def films():
    from spinemm.formats.lateral_fullspine import read_lateral_fullspine
    return read_lateral_fullspine(LATERAL)


def _right(r, film):
    """Levels of ``r``'s column that sit on the truth's vertebra of that
    level (within 1 px), and the vertebrae C3..L5 of ``r``."""
    levels = [lv for lv in film['levels'] if lv in r['column']]
    right = [lv for lv in levels
             if np.allclose(r['column'][lv], film['column'][lv], atol=1)]
    return right, levels


def _with(labels, corners, scores, extra):
    """Detections plus ``extra`` = [(label, corners, score)]."""
    return (np.concatenate([labels, [e[0] for e in extra]]),
            np.concatenate([corners, [e[1] for e in extra]]),
            np.concatenate([scores, [e[2] for e in extra]]))


@needs_real
def test_weak_vertebrae_fill_gaps_and_nothing_else(films):
    """T6 and T7 scored 0.2 (weak, under a strong threshold of 0.3) are kept:
    they fill the column's gap; a weak box two widths beside T9, a weak
    second box half a vertebra below T11, one in the gap but too close to
    T8 (tried before T7, scoring more) and (no S1 found) a weak box under
    L5 are not. Without the weak ones T6 and T7 are missing."""
    from spinemm.morphometry.lateral_levels import lateral_levels
    for f in films[:8]:
        labels, corners, scores = _detections(f, drop=('T6', 'T7'),
                                              anchors=('C2', ))
        col = f['column']
        width = np.linalg.norm(col['T9'][1] - col['T9'][0])
        step = col['T12'].mean(0) - col['T11'].mean(0)
        extra = [('vertebra', col['T6'], 0.2), ('vertebra', col['T7'], 0.2),
                 ('vertebra', col['T9'] + [2 * width, 0], 0.25),
                 ('vertebra', col['T11'] + step / 2, 0.25),
                 ('vertebra', col['L5'] + col['L5'].mean(0)
                  - col['L4'].mean(0), 0.25),
                 ('vertebra', col['T7'] + 0.45 * (col['T8'].mean(0) -
                                                  col['T7'].mean(0)), 0.22)]
        det = _with(labels, corners, scores, extra)
        r = lateral_levels(*det, strong_thr=0.3)
        right, levels = _right(r, f)
        assert right == levels == f['levels'], f['name']
        n = len(labels)
        assert set(r['source'].values()) & {n + 2, n + 3, n + 4, n + 5} == set()
        # the strong ones alone: T6 and T7 skipped, the rest right
        r = lateral_levels(*_with(labels, corners, scores, extra[2:]),
                           strong_thr=0.3)
        assert r['skipped'] == ['T6', 'T7']
        assert _right(r, f)[0] == [lv for lv in f['levels']
                                   if lv not in ('T6', 'T7')]


def _shrunk(c, by):
    """A vertebra's corners drawn ``by`` times as tall about its centre (the
    box of a weak detection that cut it short)."""
    m = c.mean(0)
    return m + (c - m) * [1.0, by]


@pytest.mark.parametrize('anchors', [('C2', 'S1'), ('S1', )])
@needs_real
def test_a_miscounted_gap_is_recounted_between_the_anchors(films, anchors):
    """T5 missing between a T4 and a T6 drawn 0.55 times as tall: the gap
    looks like two vertebrae, and counted from S1 every level above it is
    one too high (C3 would be C2). With both anchors their counts
    disagree; with S1 alone C3 lands above C3. Either way the count between
    them is fixed, the cheapest stretch (the shrunk gap) gives back a step,
    and every vertebra gets its level; without re-counting they do not."""
    from spinemm.morphometry.lateral_levels import lateral_levels
    fixed = 0
    for f in films:
        labels, corners, scores = _detections(f, drop=('T5', ), anchors=anchors)
        order = [i for i, lab in enumerate(labels) if lab == 'vertebra']
        for i in order:
            for lv in ('T4', 'T6'):
                if np.allclose(corners[i], f['column'][lv]):
                    corners[i] = _shrunk(corners[i], 0.55)
        plain = lateral_levels(labels, corners, scores, reconcile=False)
        r = lateral_levels(labels, corners, scores)
        want = [lv for lv in f['levels'] if lv not in ('T4', 'T5', 'T6')]
        if _right(plain, f)[0] == want:
            continue  # the gap rule counted it right: nothing to fix
        fixed += 1
        assert r.get('reconciled') is True, f['name']
        assert r['skipped'] == ['T5'], f['name']
        assert _right(r, f)[0] == want, f['name']
    assert fixed >= 20  # measured: 28 of 28 films miscount it either way


@needs_real
def test_boxes_for_skipped_vertebrae_sit_on_them(films):
    """Interpolated between the found neighbours, the box of a skipped
    vertebra has its centre within 0.35 of a vertebral height of the true
    one (measured: 0.10 mean, 0.27 at most over 28 films x 4 gaps)."""
    from spinemm.apis.lateral import skipped_boxes
    worst = 0.0
    for f in films:
        col = dict(f['column'])
        gone = ['C5', 'T7', 'T8', 'L3']
        for lv in gone:
            del col[lv]
        boxes, levels = skipped_boxes(col, gone + ['L5'])
        assert levels == gone  # L5 is found: no box for it
        for box, lv in zip(boxes, levels):
            t = f['column'][lv]
            h = (np.linalg.norm(t[2] - t[0]) + np.linalg.norm(t[3] - t[1])) / 2
            centre = (box[:2] + box[2:]) / 2
            worst = max(worst, np.linalg.norm(centre - t.mean(0)) / h)
    assert worst < 0.35
    boxes, levels = skipped_boxes({'L4': f['column']['L4']}, ['L5'])
    assert levels == [] and boxes.shape == (0, 4)  # nothing below: no box


@needs_real
def test_a_vertebra_facing_back_is_found(films):
    """Anterior and posterior corners swapped on one vertebra (what a
    keypoint model that mixes them up gives): that vertebra, and only it,
    faces away from the column."""
    from spinemm.apis.lateral import _facing_away
    for f in films[:6]:
        col = {lv: f['column'][lv] for lv in f['levels']}
        assert _facing_away(col) == []
        col['T9'] = col['T9'][[1, 0, 3, 2]]
        assert _facing_away(col) == ['T9']
