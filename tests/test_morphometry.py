import numpy as np
import pytest

from spinemm.anatomy import KEYPOINT_NAMES
from spinemm.morphometry import assess_column, vertebral_heights
from spinemm.phantoms import make_radiograph_phantom


def body(ha, hm, hp, depth=40.0, x0=100.0, y0=200.0, facing='left'):
    """Six keypoints of an upright body whose inferior endplate is at y0."""
    s = -1 if facing == 'left' else 1  # anterior side: -x when facing left
    ant, post = x0 + s * depth / 2, x0 - s * depth / 2
    pts = {
        'bottom_left': (ant, y0), 'bottom_middle': (x0, y0),
        'bottom_right': (post, y0), 'top_right': (post, y0 - hp),
        'top_middle': (x0, y0 - hm), 'top_left': (ant, y0 - ha)
    }
    return np.array([pts[n] for n in KEYPOINT_NAMES])


def test_rectangle_gives_exact_heights():
    h = vertebral_heights(body(25, 25, 25), spacing=0.5)
    assert h.tolist() == [[12.5, 12.5, 12.5]]
    (m, ) = assess_column([body(25, 25, 25)], spacing=0.5)
    assert (m.ha, m.hm, m.hp) == (12.5, 12.5, 12.5)
    assert m.grade == 0 and m.fracture_type is None and m.height_loss == 0


@pytest.mark.parametrize('loss,grade', [(0.19, 0), (0.21, 1), (0.30, 2),
                                        (0.41, 3)])
def test_wedge_grades(loss, grade):
    (m, ) = assess_column([body(30 * (1 - loss), 29, 30)])
    assert m.height_loss == pytest.approx(loss)
    assert m.grade == grade
    assert m.fracture_type == ('wedge' if grade else None)


def test_mirrored_image_gives_the_same_result():
    col = [body(30, 27, 30, y0=300), body(20, 24, 30, y0=260),
           body(30, 28, 31, y0=220)]
    mirrored = [np.stack([512 - k[:, 0], k[:, 1]], 1) for k in col]
    a, b = assess_column(col), assess_column(mirrored)
    for x, y in zip(a, b):
        assert (x.ha, x.hm, x.hp, x.grade, x.fracture_type) == pytest.approx(
            (y.ha, y.hm, y.hp, y.grade, y.fracture_type))
    assert a[1].fracture_type == 'wedge' and a[1].grade == 2
    # a body drawn facing right (anterior on the right) measures the same
    (r, ) = assess_column([body(20, 24, 30, facing='right')])
    assert (r.ha, r.hm, r.hp) == pytest.approx((20, 24, 30))


def test_spacing_scales_heights_not_ratios():
    k = [body(22, 25, 30)]
    (a, ), (b, ) = assess_column(k, 0.3), assess_column(k, 0.6)
    assert b.hp == pytest.approx(2 * a.hp)
    assert b.wedge_ratio == pytest.approx(a.wedge_ratio)
    # (row, col) spacing: vertical heights follow the row spacing
    (c, ) = assess_column(k, spacing=(0.6, 5.0))
    assert c.hp == pytest.approx(b.hp)


def test_crush_against_neighbours_and_ends_of_the_column():
    col = [body(30, 29, 30, y0=400), body(21, 20.3, 21, y0=350),
           body(30, 29, 30, y0=300)]
    res = assess_column(col)
    top, mid, bottom = res  # superior first: y0=300 is the top
    assert [r.index for r in res] == [2, 1, 0]
    assert mid.crush_ratio == pytest.approx(0.7)
    assert mid.grade == 2 and mid.fracture_type == 'crush'
    assert top.crush_ratio == pytest.approx(30 / 21)  # one neighbour only
    (alone, ) = assess_column([body(21, 20.3, 21)])
    assert np.isnan(alone.crush_ratio) and alone.grade == 0


def test_missing_level_breaks_adjacency():
    col = [body(30, 29, 30, y0=400), body(21, 20.3, 21, y0=350)]
    res = assess_column(col, levels=['L3', 'L1'])
    assert [r.level for r in res] == ['L1', 'L3']
    assert all(np.isnan(r.crush_ratio) for r in res)
    res = assess_column(col, levels=['L2', 'L1'])
    assert res[0].crush_ratio == pytest.approx(0.7)


def test_low_score_keypoint_is_missing():
    scores = np.ones((1, 6))
    scores[0, KEYPOINT_NAMES.index('bottom_left')] = 0.1
    (m, ) = assess_column([body(15, 20, 30)], scores=scores)
    assert np.isnan(m.ha) and np.isnan(m.wedge_ratio)
    assert m.missing == ['bottom_left'] and m.incomplete
    # graded on what remains: Hm/Hp = 2/3
    assert m.grade == 2 and m.fracture_type == 'biconcave'
    k = body(15, 20, 30)
    k[0] = np.nan
    (n, ) = assess_column([k])
    assert n.missing == ['bottom_left'] and n.grade == 2


def test_degenerate_geometry_is_not_graded():
    (m, ) = assess_column([np.zeros((6, 2))])
    assert m.grade is None and m.height_loss is None
    assert np.isnan(m.wedge_ratio)


def test_phantom_truth_is_recovered():
    """Morphometry on exact phantom keypoints recovers the drawn grades."""
    checked = {'wedge': 0, 'biconcave': 0, 'crush': 0, None: 0}
    for seed in range(40):
        ph = make_radiograph_phantom(seed, fracture_prob=0.4)
        res = assess_column([v.keypoints for v in ph.vertebrae],
                            spacing=ph.pixel_spacing,
                            levels=[v.level for v in ph.vertebrae])
        for v, m in zip(ph.vertebrae, res):
            assert m.level == v.level
            assert m.hp == pytest.approx(v.heights_mm['posterior'])
            checked[v.fracture_type] += 1
            if v.fracture_type in ('wedge', 'biconcave', None):
                assert (m.grade, m.fracture_type) == (v.genant_grade,
                                                      v.fracture_type)
            else:  # crush is measured against neighbours of other sizes
                assert abs(m.grade - v.genant_grade) <= 1
                assert m.fracture_type in ('crush', None)
    assert min(checked.values()) > 5
