"""Posterior spinal fusion hardware painted onto lateral films.

Users bring lumbar films with pedicle screws, rods and interbody cages; the
real films here have none. :func:`paint_fusion` draws what such hardware
looks like on a lateral radiograph (metal is close to white) along a run of
consecutive vertebrae, placed from their corners:

- a pedicle screw per vertebra: from an entry point behind the posterior
  wall (the pedicle's entry, 0.35 of the body's depth behind it) through the
  pedicle into the body, parallel to the mid-plane between the endplates,
  to 0.75 of the depth; shaft 0.13 and head 0.32 of the body's height;
- a rod joining the screw heads;
- optionally a titanium cage in the disc spaces between instrumented
  vertebrae (the disc's quadrilateral shrunk to 70 %).

Corners are in the order of :data:`spinemm.anatomy.LATERAL4_KEYPOINT_NAMES`
(superior/inferior x posterior/anterior); the anatomy, hence the truth, does
not move. Used in training (:class:`spinemm.det.transforms.RandomImplants`)
and to make an implant test set from real films
(``crop_lateral_films.py --implants``). These are painted, not imaged:
no beam hardening, streaks or blooming of real metal.
"""
import numpy as np

SP, SA, IP, IA = range(4)


def paint_fusion(image, corners, rng, num_levels=(2, 6), cage_prob=0.5):
    """Paint screws, rods (and cages) over a run of vertebrae.

    Args:
        image: (H, W) or (H, W, C) uint8, changed in place.
        corners: (N, 4, 2) corners of N vertebrae (any order; rows with a
            non-finite corner are not instrumented).
        rng: a ``numpy.random.RandomState``.
        num_levels: (min, max) vertebrae in the run.
        cage_prob: chance of a cage in each instrumented disc space.

    Returns:
        the indices (into ``corners``) of the instrumented vertebrae, head
        to foot; empty when fewer than ``num_levels[0]`` are available.
    """
    import cv2
    corners = np.asarray(corners, float).reshape(-1, 4, 2)
    ok = np.nonzero(np.isfinite(corners).all((1, 2)))[0]
    ok = ok[np.argsort(corners[ok].mean(1)[:, 1])]
    lo, hi = num_levels
    if len(ok) < lo:
        return []
    n = int(rng.randint(lo, min(hi, len(ok)) + 1))
    start = int(rng.randint(0, len(ok) - n + 1))
    run = [int(i) for i in ok[start:start + n]]
    value = int(rng.randint(225, 256))
    colour = (value, ) * (image.shape[2] if image.ndim == 3 else 1)
    heads = []
    for i in run:
        c = corners[i]
        post = (c[SP] + c[IP]) / 2
        ant = (c[SA] + c[IA]) / 2
        depth = ant - post
        height = np.linalg.norm((c[IP] + c[IA]) / 2 - (c[SP] + c[SA]) / 2)
        entry = post - 0.35 * depth
        tip = post + 0.75 * depth
        cv2.line(image, _pt(entry), _pt(tip), colour,
                 max(2, int(round(0.13 * height))), cv2.LINE_AA)
        cv2.circle(image, _pt(entry), max(3, int(round(0.16 * height))),
                   colour, -1, cv2.LINE_AA)
        heads.append(entry)
    rod = np.array(heads) - 0.12 * np.array(
        [(corners[i][SA] + corners[i][IA]) / 2 - (corners[i][SP] +
                                                   corners[i][IP]) / 2
         for i in run])
    height = np.median([np.linalg.norm(corners[i][SP] - corners[i][IP])
                        for i in run])
    cv2.polylines(image, [np.round(rod).astype(np.int32).reshape(-1, 1, 2)],
                  False, colour, max(2, int(round(0.1 * height))),
                  cv2.LINE_AA)
    for a, b in zip(run[:-1], run[1:]):
        if rng.rand() < cage_prob:
            disc = np.array([corners[a][IP], corners[a][IA],
                             corners[b][SA], corners[b][SP]])
            centre = disc.mean(0)
            quad = centre + 0.7 * (disc - centre)
            cv2.fillPoly(image, [np.round(quad).astype(np.int32)], colour,
                         cv2.LINE_AA)
    return run


def _pt(p):
    return int(round(p[0])), int(round(p[1]))
