"""Levels of a lateral column from what each vertebra looks like and how far
apart they lie (plain numpy).

A level classifier (:mod:`spinemm.levels`) gives every detected vertebra
log-probabilities over :data:`COLUMN_CLASSES` (C2, C3..L5, S1, ``none``).
Alone they are noisy (neighbouring thoracic vertebrae look alike); the
column fixes that. The levels are the best path of a chain model (Viterbi)
over the vertebrae in column order
(:func:`spinemm.morphometry.lateral_chain.column_chain`), levels strictly
increasing, scored by

- each vertebra's log-probability of its level (``none`` left out,
  renormalised over the levels), times ``weight`` (0.5: chosen from 0.25,
  0.5 and 1 on out-of-fold classifier answers for the 28 real films'
  detections; a classifier trained on 21 films is overconfident), and
- each step between neighbours: the distance of their centres over the
  expected step (their mean height plus a disc of ``disc`` heights) is
  about ``j`` for a jump of ``j`` levels (``j - 1`` vertebrae not found),
  a normal log-density of standard deviation ``0.12 + 0.08 j``.

The detector's own C2 and S1 endplates, where found, enter as vertebrae of
known level (a centre half a neighbour's height beyond the endplate).
Vertebrae the classifier calls ``none`` (p >= 0.5) are strays and dropped
first. A detected vertebra given C2 or S1 by the path is taken for that
bone: the levels next to it count from it, but no endplate is measured
from it (:func:`spinemm.morphometry.lateral_levels.lateral_levels`).

This is the usual way to label a column from noisy per-vertebra evidence
(cf. Glocker et al., MICCAI 2013, a hidden Markov model over vertebra
centroids in CT).
"""
import numpy as np

from .lateral_chain import column_chain, vertebra_frame

#: C3..L5: the vertebrae the detector finds with four corners
VERTEBRA_LEVELS = tuple(['C%d' % i for i in range(3, 8)] +
                        ['T%d' % i for i in range(1, 13)] +
                        ['L%d' % i for i in range(1, 6)])
#: what a crop around a detection can show: the column's levels head to
#: foot, then ``none`` (not a vertebra of the column)
COLUMN_CLASSES = ('C2', ) + VERTEBRA_LEVELS + ('S1', 'none')
NONE = COLUMN_CLASSES.index('none')


def step_log_density(ratio, jump):
    """Log-density of a centre distance of ``ratio`` expected steps for a
    jump of ``jump`` levels (see the module docstring)."""
    s = 0.12 + 0.08 * jump
    return -0.5 * ((ratio - jump) / s) ** 2 - np.log(s)


def viterbi_levels(unary, ratios):
    """Strictly increasing levels for N ordered nodes.

    Args:
        unary: (N, L) log-scores of each node's level (-inf: impossible).
        ratios: (N - 1,) distances between neighbouring nodes in expected
            steps.

    Returns:
        levels (N,) int, the best path's score, and its margin over the
        best path that ends at another level (inf when there is none).
    """
    unary = np.asarray(unary, float)
    n, L = unary.shape
    jump = np.arange(L)[None, :] - np.arange(L)[:, None]
    score, back = unary[0].copy(), np.zeros((n, L), int)
    for i in range(1, n):
        trans = np.where(jump >= 1,
                         step_log_density(ratios[i - 1], np.maximum(jump, 1)),
                         -np.inf)
        total = score[:, None] + trans
        back[i] = np.argmax(total, 0)
        score = total.max(0) + unary[i]
    last = int(np.argmax(score))
    others = np.delete(score, last)
    margin = float(score[last] - others.max()) if len(others) and \
        np.isfinite(others.max()) else float('inf')
    levels = [last]
    for i in range(n - 1, 0, -1):
        levels.append(int(back[i][levels[-1]]))
    return np.asarray(levels[::-1]), float(score[last]), margin


def _log_normalise(x):
    m = np.max(x, axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def appearance_levels(corners, scores, log_probs, c2=None, s1=None,
                      disc=0.25, none_thr=0.5, weight=0.5):
    """Levels of the vertebra detections ``corners`` (D, 4, 2) / ``scores``
    (D,) from their class log-probabilities ``log_probs`` (D, 25) over
    :data:`COLUMN_CLASSES`; ``c2`` / ``s1``: the detector's C2 inferior /
    S1 superior endplate corners (2, 2), or None.

    Returns dict(levels={detection index: class name (C2, C3..L5 or S1)},
    strays=[detections dropped as ``none`` or off the column],
    margin=the best path's log-score lead over the best path ending at
    another level)."""
    corners = np.asarray(corners, float).reshape(-1, 4, 2)
    lp = np.asarray(log_probs, float)
    # no detection at all (a film where nothing was found): no columns
    lp = lp.reshape(len(corners), -1) if lp.size else \
        lp.reshape(len(corners), len(COLUMN_CLASSES))
    if lp.shape[1] != len(COLUMN_CLASSES):
        raise ValueError(f'{lp.shape[1]} classes of log-probabilities; the '
                         f'level classifier gives {len(COLUMN_CLASSES)} '
                         f'({", ".join(COLUMN_CLASSES)})')
    keep = np.nonzero(np.exp(lp[:, NONE]) < none_thr)[0]
    order, _ = column_chain(corners[keep], np.asarray(scores)[keep])
    idx = keep[order]
    out = dict(levels={}, margin=None,
               strays=sorted(set(range(len(corners))) - set(idx.tolist())))
    if not len(idx):
        return out
    frames = [vertebra_frame(c) for c in corners[idx]]
    centres = [f[0] for f in frames]
    heights = [f[1] for f in frames]
    n_levels = len(COLUMN_CLASSES) - 1
    unary = [weight * _log_normalise(lp[i, :NONE]) for i in idx]
    if c2 is not None:  # C2's body: half a C3 height above its endplate
        _, h, down, _ = frames[0]
        centres.insert(0, np.mean(c2, 0) - 0.5 * h * down)
        heights.insert(0, h)
        unary.insert(0, np.where(np.arange(n_levels) == 0, 0.0, -np.inf))
    if s1 is not None:
        _, h, down, _ = frames[-1]
        centres.append(np.mean(s1, 0) + 0.5 * h * down)
        heights.append(h)
        unary.append(np.where(np.arange(n_levels) == n_levels - 1, 0.0,
                              -np.inf))
    centres, heights = np.asarray(centres), np.asarray(heights)
    ratios = np.linalg.norm(np.diff(centres, axis=0), axis=1) / (
        (1 + disc) * (heights[1:] + heights[:-1]) / 2)
    levels, _, out['margin'] = viterbi_levels(np.asarray(unary), ratios)
    if c2 is not None:
        levels = levels[1:]
    if s1 is not None:
        levels = levels[:-1]
    out['levels'] = {int(i): COLUMN_CLASSES[k] for i, k in zip(idx, levels)}
    return out
