"""Lumbar- and cervical-only films cut out of the real full-spine films
(spinemm.formats.lateral_crops): the points move with the cut, and levels
are counted from the one anchor such a film shows."""
import numpy as np
import pytest

from conftest import LATERAL, listed, needs_real, run_tool
from test_lateral_levels import _detections


@pytest.fixture(scope='module')
def cutouts(tmp_path_factory):
    from spinemm.formats.lateral_crops import crop_lateral_films
    from spinemm.formats.lateral_fullspine import read_lateral_fullspine
    base = tmp_path_factory.mktemp('cutouts')
    full = read_lateral_fullspine(LATERAL)
    out = {}
    for region in ('lumbar', 'cervical'):
        crop_lateral_films(LATERAL, str(base / region), region)
        out[region] = read_lateral_fullspine(str(base / region))
    return full, out, base


@needs_real
def test_cutout_points_are_the_films_points_moved(cutouts):
    """Each kept point is the full film's point less the window's corner,
    the window's pixels are the film's, and only whole vertebrae of the
    region are kept (T11-L5 + S1; C2 + C3-T2)."""
    import json

    import cv2
    full, out, base = cutouts
    for region, (first, last) in dict(lumbar=('T11', 'L5'),
                                      cervical=('C3', 'T2')).items():
        meta = {im['file_name']: im['crop'] for im in json.load(open(
            base / region / 'annotations.json'))['images']}
        for f, c in zip(full, out[region]):
            assert f['name'] == c['name']
            top, left = meta[c['name']]['top'], meta[c['name']]['left']
            assert c['levels'][0] == first and c['levels'][-1] == last
            anchor = 'S1' if region == 'lumbar' else 'C2'
            other = 'C2' if region == 'lumbar' else 'S1'
            assert np.isfinite(c['column'][anchor]).sum() == 4
            assert np.isnan(c['column'][other]).all()
            for lv in c['levels'] + [anchor]:
                np.testing.assert_allclose(
                    c['column'][lv] + [left, top], f['column'][lv],
                    atol=1e-3, equal_nan=True)
            assert 0.75 < c['width'] / c['height'] <= 0.86
        # pixels: the first film's window, byte for byte
        f, c = full[0], out[region][0]
        top, left = meta[c['name']]['top'], meta[c['name']]['left']
        a = cv2.imread(f['image'], cv2.IMREAD_GRAYSCALE)
        b = cv2.imread(c['image'], cv2.IMREAD_GRAYSCALE)
        assert (a[top:top + b.shape[0], left:left + b.shape[1]] == b).all()


@needs_real
def test_levels_of_partial_films_come_from_their_one_anchor(cutouts):
    """The truth of every cut-out, shuffled with 2 px noise, gets every
    level right: lumbar films counted up from S1, cervical films down from
    C2."""
    from spinemm.morphometry.lateral_levels import lateral_levels
    _, out, _ = cutouts
    for region, anchor in (('lumbar', 'S1'), ('cervical', 'C2')):
        for f in out[region]:
            r = lateral_levels(*_detections(f, anchors=(anchor, ),
                                            jitter=2.0))
            assert r['anchor'] == anchor, f['name']
            assert sorted(r['column']) == sorted(f['levels'] + [anchor])
            for lv in f['levels']:
                np.testing.assert_allclose(r['column'][lv],
                                           f['column'][lv], atol=10)


@needs_real
def test_crop_tool_refuses_a_folder_it_did_not_write(tmp_path):
    out = tmp_path / 'lumbar'
    out.mkdir()
    (out / 'notes.txt').write_text('mine')
    proc = run_tool(['python', 'tools/dataset_converters/crop_lateral_films.py',
                     LATERAL, str(out), '--region', 'lumbar'])
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert str(out) in proc.stderr
    assert listed(out) == ['notes.txt']
    assert (out / 'notes.txt').read_text() == 'mine'


@needs_real
def test_fusion_hardware_lies_on_its_vertebrae(cutouts):
    """Painted screws, rod and cages change pixels only around the
    instrumented run (its corners' extent, widened backwards by the screw
    entry), never inside a vertebra outside the run; the same seed paints the
    same pixels; the transform leaves boxes and keypoints as they were."""
    import cv2

    from spinemm.det.transforms import RandomImplants
    from spinemm.synthesis.implants import paint_fusion
    _, out, _ = cutouts
    for f in out['lumbar'][:6]:
        img = cv2.imread(f['image'], cv2.IMREAD_GRAYSCALE)
        levels = [lv for lv in f['levels']]
        corners = np.array([f['column'][lv] for lv in levels])
        a, b = img.copy(), img.copy()
        run = paint_fusion(a, corners, np.random.RandomState(5))
        paint_fusion(b, corners, np.random.RandomState(5))
        assert (a == b).all() and 2 <= len(run) <= 6
        assert run == sorted(run)  # head to foot, consecutive
        assert run == list(range(run[0], run[0] + len(run)))
        changed = np.argwhere(a != img)[:, ::-1]  # x, y
        assert len(changed)
        pts = corners[run].reshape(-1, 2)
        depth = np.linalg.norm(corners[run][:, 1] - corners[run][:, 0],
                               axis=1).max()
        lo, hi = pts.min(0) - 0.6 * depth, pts.max(0) + 0.3 * depth
        assert ((changed >= lo) & (changed <= hi)).all(), f['name']
        for j in set(range(len(levels))) - set(run):
            x0, y0 = corners[j].min(0).astype(int) + 3
            x1, y1 = corners[j].max(0).astype(int) - 3
            neighbour = abs(j - run[0]) == 1 or abs(j - run[-1]) == 1
            if not neighbour:
                assert (a[y0:y1, x0:x1] == img[y0:y1, x0:x1]).all()
    kpts = np.concatenate([corners, np.full((len(corners), 4, 1), 2.0)], 2)
    res = dict(img=cv2.cvtColor(img, cv2.COLOR_GRAY2BGR),
               gt_keypoints=kpts.astype(np.float32).copy(),
               gt_bboxes_labels=np.zeros(len(kpts), np.int64))
    before = res['img'].copy()
    res = RandomImplants(prob=1.0)(res)
    assert (res['gt_keypoints'] == kpts.astype(np.float32)).all()
    assert (res['img'] != before).any()


def test_edge_crop_keeps_the_top_or_the_bottom():
    """RandomEdgeCrop (mid_prob=0) cuts windows that touch the film's top
    or bottom edge, both kinds occur, and the keypoints move with the
    window (through spinemm.WithKeypoints and the recorded homography)."""
    from spinemm.det.transforms import (RandomEdgeCrop, WithKeypoints,
                                        apply_homography)
    h, w = 400, 120
    rng = np.random.RandomState(0)
    np.random.seed(0)
    boxes = np.array([[20, y, 100, y + 30] for y in range(10, 380, 40)],
                     np.float32)
    kpts = np.concatenate([boxes[:, None, :2] + rng.uniform(
        0, 20, (len(boxes), 4, 2)), np.full((len(boxes), 4, 1), 2.0)],
        2).astype(np.float32)
    t = WithKeypoints(dict(type='spinemm.RandomEdgeCrop', mid_prob=0.0,
                           crop_type='relative_range', crop_size=(0.3, 0.6),
                           allow_negative_crop=False))
    assert isinstance(t.inner, RandomEdgeCrop)
    edges, seen = set(), 0
    for _ in range(30):
        from mmdet.structures.bbox import HorizontalBoxes
        res = dict(img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w),
                   gt_bboxes=HorizontalBoxes(boxes.copy()),
                   gt_bboxes_labels=np.zeros(len(boxes), np.int64),
                   gt_ignore_flags=np.zeros(len(boxes), bool),
                   gt_keypoints=kpts.copy())
        out = t(res)
        m = out['homography_matrix']
        top = -m[1, 2]
        ch = out['img'].shape[0]
        assert top == 0 or top + ch == h, (top, ch)
        edges.add('top' if top == 0 else 'bottom')
        vis = out['gt_keypoints'][..., 2] > 0
        kept = out['gt_keypoints'][..., :2][vis]
        moved = apply_homography(kpts[..., :2], m).reshape(-1, 2)
        near = np.linalg.norm(kept[:, None] - moved[None], axis=2).min(1)
        assert (near < 1e-3).all()
        seen += len(kept)
    assert edges == {'top', 'bottom'} and seen > 30
