"""Levels of a lateral column from appearance: the crop around a vertebra,
the column chain, the Viterbi path over levels (against brute force) and
the whole assignment on real films' truth columns cut as a lumbar film
would show them."""
import itertools

import numpy as np
import pytest

from conftest import LATERAL, needs_real


@pytest.fixture(scope='module')
def films():
    from spinemm.formats.lateral_fullspine import read_lateral_fullspine
    return read_lateral_fullspine(LATERAL)


def test_viterbi_path_is_the_best_increasing_path_by_brute_force():
    from spinemm.morphometry.lateral_appearance import (step_log_density,
                                                        viterbi_levels)
    rng = np.random.default_rng(0)
    for trial in range(20):
        n, L = int(rng.integers(1, 5)), int(rng.integers(4, 8))
        unary = rng.normal(0, 2, (n, L))
        unary[rng.random((n, L)) < 0.2] = -np.inf
        ratios = rng.uniform(0.5, 3.5, n - 1)
        scored = []
        for path in itertools.combinations(range(L), n):
            s = sum(unary[i, k] for i, k in enumerate(path)) + sum(
                step_log_density(ratios[i], path[i + 1] - path[i])
                for i in range(n - 1))
            scored.append((s, path))
        best = max(scored)
        levels, score, margin = viterbi_levels(unary, ratios)
        if not np.isfinite(best[0]):
            continue
        assert score == pytest.approx(best[0])
        assert tuple(levels) == best[1], trial
        # margin: over the best path ending at another level
        other = max((s for s, p in scored if p[-1] != best[1][-1]),
                    default=-np.inf)
        if np.isfinite(other):
            assert margin == pytest.approx(best[0] - other)


def test_context_crop_turns_every_vertebra_superior_up_anterior_right():
    """A vertebra drawn at any tilt, facing left or right: its
    superior-anterior corner, marked bright, lands in the crop's top right
    quarter."""
    from spinemm.levels.crops import context_crop
    for angle in (-35, 0, 20):
        for facing in (1, -1):
            a = np.deg2rad(angle)
            rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
            # superior posterior, superior anterior, inferior posterior,
            # inferior anterior: anterior to +x (facing 1) or -x
            local = np.array([[-20 * facing, -15], [20 * facing, -15],
                              [-20 * facing, 15], [20 * facing, 15]], float)
            corners = local @ rot.T + [200, 200]
            img = np.zeros((400, 400), np.uint8)
            x, y = np.round(corners[1]).astype(int)
            img[y - 3:y + 4, x - 3:x + 4] = 255
            crop = context_crop(img, corners, size=90, context=3.0)
            ys, xs = np.nonzero(crop > 100)
            assert len(xs), (angle, facing)
            assert xs.mean() > 45 and ys.mean() < 45, (angle, facing)
            # the corner sits half a height above and half a width in
            # front of the centre: 90 px span 3 heights of 30 px
            assert xs.mean() == pytest.approx(45 + 20, abs=3)
            assert ys.mean() == pytest.approx(45 - 15, abs=3)


def test_a_fragment_inside_a_vertebra_and_a_stray_off_the_column_are_dropped():
    from spinemm.morphometry.lateral_chain import column_chain

    def box(x, y, w=30, h=20):
        return [[x, y], [x + w, y], [x, y + h], [x + w, y + h]]
    column = [box(100, 100 + 26 * k) for k in range(8)]
    fragment = box(105, 100 + 26 * 3 + 4, 12, 10)  # inside the 4th
    stray = box(260, 100 + 26 * 5)  # 5 widths in front of the 6th
    corners = np.array(column + [fragment, stray], float)
    scores = np.r_[np.full(8, 0.9), 0.6, 0.99]  # the stray outscores all
    order, ranks = column_chain(corners, scores)
    assert order.tolist() == list(range(8))
    assert ranks.tolist() == list(range(8))


def _lumbar(film, stray=True):
    """The truth T11-L5 of a real film as a lumbar film's detections, in
    shuffled order, with a stray box on the bowel (in front of L2)."""
    from spinemm.morphometry.lateral_chain import vertebra_frame
    levels = ['T11', 'T12', 'L1', 'L2', 'L3', 'L4', 'L5']
    corners = [film['column'][lv] for lv in levels]
    names = list(levels)
    if stray:
        _, _, _, fwd = vertebra_frame(film['column']['L2'])
        w = np.linalg.norm(corners[3][1] - corners[3][0])
        corners.append(corners[3] + 3 * w * fwd)
        names.append('none')
    order = np.random.default_rng(1).permutation(len(names))
    return [names[i] for i in order], np.array(corners, float)[order]


def _log_probs(names, wrong_by=()):
    """Log-probabilities a classifier might give: peaked (p 0.5) at each
    name, shifted one level down for the indices in ``wrong_by``; the
    rest spread evenly."""
    from spinemm.morphometry.lateral_appearance import COLUMN_CLASSES
    lp = np.full((len(names), len(COLUMN_CLASSES)), 0.5 / 24)
    for i, n in enumerate(names):
        k = COLUMN_CLASSES.index(n) + (1 if i in wrong_by else 0)
        lp[i, k] = 0.5
    return np.log(lp / lp.sum(1, keepdims=True))


@needs_real
def test_a_lumbar_film_gets_its_levels_from_appearance_and_spacing(films):
    """No C2 and no S1 found, a stray box called 'none', and two of seven
    vertebrae the classifier puts one level too low: the path over the
    column still gives every vertebra its level on each real film."""
    from spinemm.morphometry.lateral_levels import lateral_levels
    for film in films:
        names, corners = _lumbar(film)
        vert = [i for i, n in enumerate(names) if n != 'none']
        lp = _log_probs(names, wrong_by=vert[:2])
        r = lateral_levels(['vertebra'] * len(names), corners,
                           np.linspace(0.5, 1, len(names)), lp)
        assert r['anchor'] == 'appearance'
        got = {lv: i for lv, i in r['source'].items()}
        assert got == {n: i for i, n in enumerate(names) if n != 'none'}, \
            film['name']
        assert r['strays'] == [names.index('none')]
        assert r['margin'] > 0


@needs_real
def test_without_a_classifier_the_same_film_is_a_guess(films):
    """The same detections without log-probabilities: levels counted up
    from the lowest as L5, marked unanchored."""
    from spinemm.morphometry.lateral_levels import lateral_levels
    names, corners = _lumbar(films[0], stray=False)
    r = lateral_levels(['vertebra'] * len(names), corners,
                       np.ones(len(names)))
    assert r['anchor'] is None
    assert {lv: i for lv, i in r['source'].items()} == \
        {n: i for i, n in enumerate(names)}


@needs_real
def test_a_detection_called_s1_counts_as_the_sacrum_but_is_not_measured(
        films):
    """The sacrum detected as a 'vertebra' and called S1, no S1 from the
    detector: the vertebrae above keep their levels (no sixth lumbar), the
    detection is reported as the sacrum, and the film gets no S1 endplate
    from it (lumbar lordosis is not computed from a classifier's guess)."""
    from spinemm.levels.dataset import _end_corners
    from spinemm.morphometry.lateral_levels import lateral_levels
    from spinemm.morphometry.sagittal import sagittal_alignment
    film = films[0]
    names, corners = _lumbar(film, stray=False)
    s1 = _end_corners(film['column']['S1'][:2], film['column']['L5'], True)
    names, corners = names + ['S1'], np.concatenate([corners, s1[None]])
    r = lateral_levels(['vertebra'] * len(names), corners,
                       np.ones(len(names)), _log_probs(names))
    assert r['called'] == {'S1': len(names) - 1}
    assert {lv: i for lv, i in r['source'].items()} == \
        {n: i for i, n in enumerate(names) if n != 'S1'}
    assert 'S1' not in r['column']
    assert np.isnan(sagittal_alignment(r['column'])['lumbar_lordosis_L1_S1'])


@needs_real
def test_level_crops_of_a_real_film(films, lateral_coco):
    """One crop per annotated vertebra C3..L5, C2 and S1 (their missing
    endplate one neighbour height away along its axis) and 8 'none' boxes
    away from every vertebra of the column."""
    from spinemm.formats import load_coco_json
    from spinemm.levels.dataset import LEVEL_CLASSES, NONE, film_items
    from spinemm.morphometry.lateral_chain import vertebra_frame
    coco = load_coco_json(lateral_coco + 'train.json')
    image_id = coco['images'][0]['id']
    anns = [a for a in coco['annotations'] if a['image_id'] == image_id]
    items = film_items(anns, np.random.default_rng(0), negatives=8)
    names = [LEVEL_CLASSES[c] for _, c in items]
    assert names[:22] == list(LEVEL_CLASSES[1:23])
    assert names[22:24] == ['C2', 'S1'] and names[24:] == ['none'] * 8
    by = {n: c for c, n in zip((c for c, _ in items), names) if n != 'none'}
    _, h_l5, down_l5, _ = vertebra_frame(by['L5'])
    np.testing.assert_allclose(by['S1'][2:] - by['S1'][:2],
                               [h_l5 * down_l5] * 2)
    centres = np.array([vertebra_frame(c)[0] for c in by.values()])
    hmin = min(vertebra_frame(c)[1] for c in by.values())
    for corners, cls in items:
        if cls == NONE:
            d = np.linalg.norm(centres - corners.mean(0), axis=1)
            assert d.min() > 1.2 * hmin


LEVEL_CFG = 'configs/vertebra_lateral/level-cls_effl0-in1k_lateral-cpu-128.py'


@needs_real
def test_the_level_classifier_gives_log_probabilities_per_detection(films):
    """Untrained head on the ImageNet backbone, a real film: one row of 25
    log-probabilities per detection (each sums to probability 1), 0 for
    corners that are not numbers, and the same rows whatever the batch."""
    import os.path as osp

    import cv2

    from conftest import ROOT
    from spinemm.apis.level_classifier import LevelClassifier
    f = films[0]
    image = cv2.imread(f['image'], cv2.IMREAD_COLOR)
    corners = np.array([f['column'][lv] for lv in ('T12', 'L1', 'L2')]
                       + [np.full((4, 2), np.nan)])
    lc = LevelClassifier(osp.join(ROOT, LEVEL_CFG), None)
    lp = lc(image, corners)
    assert lp.shape == (4, 25)
    np.testing.assert_allclose(np.exp(lp[:3]).sum(1), 1, atol=1e-5)
    assert (lp[3] == 0).all()
    lc.batch_size = 1
    np.testing.assert_allclose(lc(image[:, :, 0], corners), lp, atol=1e-4)


def test_another_models_config_is_refused_as_level_classifier(tmp_path):
    import os.path as osp

    from conftest import ROOT
    from spinemm.apis.level_classifier import LevelClassifier
    from spinemm.utils.errors import InputError
    det = osp.join(ROOT, 'configs/vertebra_lateral/'
                   'td-hm_effl0-in1k_lateral-cpu-128x128.py')
    with pytest.raises(InputError, match='not a level classifier') as e:
        LevelClassifier(det, None)
    assert det in str(e.value)


def test_report_wants_level_config_and_checkpoint_together(tmp_path):
    from conftest import listed, run_tool
    out = tmp_path / 'out'
    proc = run_tool(['python', 'tools/report.py', str(tmp_path), '--view',
                     'sagittal', '--det-config', 'x.py', '--det-checkpoint',
                     'x.pth', '--level-config', LEVEL_CFG, '--out-dir',
                     str(out)])
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert '--level-config and --level-checkpoint go together' in \
        proc.stderr
    assert not out.exists() or listed(out) == []


def test_the_picture_says_how_the_levels_were_found():
    from spinemm.apis.lateral import level_note
    assert level_note(dict(anchor=None)).endswith('a guess')
    assert level_note(dict(anchor=None, column={})) == 'no vertebra found'
    assert level_note(dict(anchor='appearance', margin=0.2)) == \
        'levels from appearance, unsure (lead 0.2)'
    assert level_note(dict(anchor='appearance', margin=3.0)) == \
        'levels from appearance (lead 3.0)'
    assert level_note(dict(anchor='appearance', margin=float('inf'))) == \
        'levels from appearance'
    assert 'disagree' in level_note(dict(anchor='S1', consistent=False))
    assert level_note(dict(anchor='S1', consistent=True)) == ''


def test_levels_from_appearance_with_no_vertebra_found():
    """A film where the detector finds nothing (or only C2), the level
    classifier on: an empty column, not a crash (eval_lateral stopped with
    a reshape error on a cervical cut-out where nothing was found)."""
    from spinemm.morphometry.lateral_levels import lateral_levels
    r = lateral_levels(np.array([], str), np.zeros((0, 4, 2)), np.zeros(0),
                       np.zeros((0, 25)))
    assert r['column'] == {} and r['anchor'] == 'appearance'
    c2 = np.array([[[10, 10], [30, 10], [10, 20], [30, 20]]], float)
    r = lateral_levels(np.array(['C2']), c2, np.ones(1), np.zeros((1, 25)))
    assert list(r['column']) == ['C2'] and r['strays'] == []
    np.testing.assert_array_equal(r['column']['C2'][2:], c2[0, 2:])
