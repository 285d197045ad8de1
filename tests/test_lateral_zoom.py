"""Lateral films zoomed out: a lumbar- or cervical-only film put small on a
black canvas, so that its vertebrae have the size the full-spine detector
learnt them at (spinemm.apis.lateral.zoomed_out / LateralLandmarker)."""
import os.path as osp

import cv2
import numpy as np
import pytest

from conftest import LATERAL, ROOT, needs_real

LATERAL_CFG = osp.join(ROOT, 'configs', 'vertebra_lateral',
                       'cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-cpu.py')


def test_the_canvas_holds_the_film_unchanged_in_its_middle():
    from spinemm.apis.lateral import zoomed_out
    rng = np.random.default_rng(0)
    film = rng.integers(1, 255, (300, 260, 3), dtype=np.uint8)
    canvas, (left, top) = zoomed_out(film, 2.75)
    # 2.75 x as tall, as wide as a full-spine film (0.42 of its height)
    assert canvas.shape == (825, 346, 3)
    assert (left, top) == ((346 - 260) // 2, (825 - 300) // 2)
    np.testing.assert_array_equal(canvas[top:top + 300, left:left + 260],
                                  film)
    rest = canvas.copy()
    rest[top:top + 300, left:left + 260] = 0
    assert not rest.any()  # black around it
    wide = rng.integers(1, 255, (100, 400), dtype=np.uint8)
    canvas, (left, top) = zoomed_out(wide, 2.0)  # already wider
    assert canvas.shape == (200, 400) and left == 0 and top == 50


@needs_real
def test_detections_on_the_canvas_come_back_in_the_films_pixels():
    """The detector (ImageNet backbone, heads untrained: every box counts)
    run on the canvas by hand, its boxes and corners moved back by the
    film's offset, are what LateralLandmarker.detect(film, zoom) returns;
    boxes centred off the film are dropped, masks of the canvas too."""
    from spinemm.apis.lateral import LateralLandmarker, zoomed_out
    film = cv2.imread(osp.join(LATERAL, 'images', '13.png'))
    film = film[1500:2300]  # a lumbar window
    model = LateralLandmarker(LATERAL_CFG, None, score_thr=0.0,
                              anchor_thr=0.0, zoom_outs=(1.0,))
    canvas, (left, top) = zoomed_out(film, 2.0)
    raw = model.detector(canvas)['vertebrae']
    got = model.detect(film, 2.0)
    want = []
    for v in raw:
        x1, y1, x2, y2 = np.asarray(v['bbox']) - [left, top, left, top]
        if 0 <= (x1 + x2) / 2 < film.shape[1] and \
                0 <= (y1 + y2) / 2 < film.shape[0]:
            want.append((v, [x1, y1, x2, y2]))
    assert len(raw) >= len(got) == len(want) > 0
    for g, (v, box) in zip(got, want):
        np.testing.assert_allclose(g['bbox'], box, atol=0.01)
        for k, p in v['keypoints'].items():
            np.testing.assert_allclose(g['keypoints'][k],
                                       [p[0] - left, p[1] - top], atol=1e-6)
        assert 'mask' not in g and g['score'] == v['score']


def test_zoom_outs_below_one_are_refused():
    from spinemm.apis.lateral import LateralLandmarker
    with pytest.raises(ValueError, match='zoom_outs are factors >= 1'):
        LateralLandmarker(LATERAL_CFG, None, zoom_outs=(0.5, 1.0))
