"""Cobb angles from AP vertebra corners, as the AASCE 2019 organisers compute
them (plain numpy).

The organisers' MATLAB evaluation code (``angleCal`` with its ``isS`` test;
the AASCE 2019 challenge, SpineWeb dataset 16) measures, for each of the 17
vertebrae (T1-L5), the direction of the line from the midpoint of its left
side (mean of its top-left and bottom-left corners) to the midpoint of its
right side; the angle between two vertebrae is the unsigned angle between
those directions (cosine rounded to 1e-8). Then:

1. the first angle is the largest angle between any two vertebrae; the
   organisers' code reports it first (their ``angles.csv`` column 1) and
   the two vertebrae are its end vertebrae (upper ``a``, lower ``b``);
2. the column is *S-shaped* when the midpoints of the 34 endplates lie on
   both sides of the straight line from the first to the last one;
3. not S-shaped: the second angle is that between T1 and ``a``, the third
   that between L5 and ``b``;
4. S-shaped, with the main curve in the upper half of the image (the
   endplate midpoints below ``a`` and ``b`` average above half the image
   height): the second angle is the largest between ``a`` and a vertebra
   above it, the third the largest between ``b`` and a vertebra below it;
5. S-shaped, main curve in the lower half: the second angle is the largest
   between ``a`` and a vertebra above it (at ``c``), the third the largest
   between ``c`` and a vertebra above ``c``.

The angles are named proximal-thoracic, main-thoracic and thoracolumbar /
lumbar in the challenge's files, in that column order. This module is
written from that description; computed from the 481 ground-truth landmark
sets it reproduces the published ``angles.csv`` to 0.005 degrees (the csv's
rounding): see ``tests/test_aasce.py``.
"""
import numpy as np

from ..anatomy import AASCE_LEVELS

ANGLE_NAMES = ('proximal_thoracic', 'main_thoracic', 'thoracolumbar_lumbar')


def _pair_angles(vectors):
    """(N, N) unsigned angles (radians) between (N, 2) direction vectors.

    A zero-length vector (a predicted vertebra whose two side midpoints
    coincide) has no direction: it is taken as parallel to every other one,
    so it adds no angle (MATLAB would give NaN and NaN would then poison the
    maxima)."""
    norm = np.linalg.norm(vectors, axis=1)
    with np.errstate(invalid='ignore', divide='ignore'):
        cos = vectors @ vectors.T / np.outer(norm, norm)
    ang = np.arccos(np.clip(np.round(cos, 8), -1.0, 1.0))
    return np.nan_to_num(ang, nan=0.0)


def _is_s_shaped(points):
    """Points on both sides of the line from the first to the last."""
    first, last = points[0], points[-1]
    with np.errstate(divide='ignore', invalid='ignore'):
        dev = (points[:-2, 1] - last[1]) / (first[1] - last[1]) - \
            (points[:-2, 0] - last[0]) / (first[0] - last[0])
    prod = np.outer(dev, dev)
    return bool(np.sum(prod) != np.sum(np.abs(prod)))


def vertebra_tilts(corners):
    """Signed tilt (degrees) of each vertebra: the angle of the line from
    its left-side midpoint to its right-side midpoint against the image's
    horizontal, positive when the right side is lower (image y down).

    ``corners``: (N, 4, 2) in AP order (top-left, top-right, bottom-left,
    bottom-right in image coordinates)."""
    c = np.asarray(corners, float).reshape(-1, 4, 2)
    vec = (c[:, 1] + c[:, 3]) / 2 - (c[:, 0] + c[:, 2]) / 2
    return np.degrees(np.arctan2(vec[:, 1], vec[:, 0]))


def cobb_angles(corners, image_height, levels=AASCE_LEVELS):
    """The three AASCE Cobb angles of one film.

    Args:
        corners: (17, 4, 2) pixel corners (or (68, 2)), AP order, T1 first.
        image_height: the film's height in pixels (decides which half the
            main curve lies in, as the organisers' code does).
        levels: names of the vertebrae, for the end vertebrae.

    Returns:
        dict(angles=(3,) degrees in :data:`ANGLE_NAMES` order,
        end_vertebrae=[(upper, lower) level names per angle],
        s_shaped=bool, tilts=(N,) degrees).
    """
    c = np.asarray(corners, float).reshape(-1, 4, 2)
    if not np.isfinite(c).all():
        raise ValueError('Cobb angles need every corner: NaN/inf given')
    n = len(c)
    vec = (c[:, 1] + c[:, 3]) / 2 - (c[:, 0] + c[:, 2]) / 2
    ang = _pair_angles(vec)
    # the first maximum in column-major order, as MATLAB's max() finds it
    best_row = ang.argmax(0)
    col_max = ang.max(0)
    a = int(col_max.argmax())
    b = int(best_row[a])
    first = ang[a, b]
    endplates = np.stack([(c[:, 0] + c[:, 1]) / 2, (c[:, 2] + c[:, 3]) / 2],
                         1).reshape(-1, 2)  # top, bottom of each vertebra
    with np.errstate(invalid='ignore'):  # NaN compares as MATLAB's does
        s_shaped = _is_s_shaped(endplates)
    if not s_shaped:
        second, ends2 = ang[0, a], (0, a)
        third, ends3 = ang[n - 1, b], (b, n - 1)
    else:
        above_a = ang[a, :a + 1]
        c_top = int(above_a.argmax())
        second, ends2 = above_a[c_top], (c_top, a)
        if endplates[2 * a + 1, 1] + endplates[2 * b + 1, 1] < image_height:
            below_b = ang[b, b:]
            d = b + int(below_b.argmax())
            third, ends3 = below_b[d - b], (b, d)
        else:
            above_c = ang[c_top, :c_top + 1]
            d = int(above_c.argmax())
            third, ends3 = above_c[d], (d, c_top)
    pairs = [(min(a, b), max(a, b)), ends2, ends3]
    return dict(
        angles=np.degrees([first, second, third]),
        end_vertebrae=[(levels[i], levels[j]) for i, j in pairs],
        s_shaped=s_shaped, tilts=vertebra_tilts(c))


def smape(pred, true):
    """AASCE's symmetric mean absolute percentage error (%): per film the
    sum over angles of |pred - true| over the sum of (pred + true), averaged
    over films, x 100. ``pred``, ``true``: (F, 3) degrees. A film whose
    angles all are 0 in both scores 0; a NaN angle makes the result NaN."""
    pred = np.asarray(pred, float).reshape(-1, 3)
    true = np.asarray(true, float).reshape(-1, 3)
    num = np.abs(pred - true).sum(1)
    den = (pred + true).sum(1)
    # 0/0 (both straight) scores 0; a NaN angle stays NaN (never 0)
    with np.errstate(invalid='ignore', divide='ignore'):
        per = np.where(den == 0, 0.0, num / den)
    return float(per.mean() * 100)
