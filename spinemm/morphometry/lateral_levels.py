"""Detections on a lateral film -> a column with levels (plain numpy).

The lateral detector (``configs/vertebra_lateral``) finds three kinds of
object: ``vertebra`` (C3..L5, four corners each), ``C2`` (its inferior
endplate) and ``S1`` (its superior endplate). C2 (the dens above it) and
the sacrum look like nothing else on the film, so they are the anchors the
levels are counted from; a film that shows part of the spine (a lumbar
film) still has its sacrum, a cervical film its C2:

1. the column: :func:`spinemm.morphometry.lateral_chain.column_chain`
   follows the vertebrae head to foot along their own axes (fragments and
   strays off the column dropped); vertebrae above C2's endplate or below
   S1's are dropped first;
2. gaps: a step along the chain of 1.6 or more expected steps (vertebral
   height plus a disc) holds vertebrae not found (their level is skipped,
   nothing is invented: their corners are not made up);
3. anchor: with S1, the vertebra nearest above it is L5 unless the space
   between them holds more vertebrae (measured as in 2, from L5's inferior
   endplate to S1's superior one, minus a disc); the others count up from
   it. Without S1, C3 is counted down from C2 the same way. With neither,
   the lowest vertebra is taken for L5 and the column is marked
   ``anchor=None`` (a guess, to be shown as one);
4. with both anchors, the count between them is checked: ``consistent``
   says whether C2 lands where the levels counted from S1 put it; S1's
   count stands either way (splitting the column at its widest gap between
   the two counts, tried, lost level accuracy once the column was followed
   by :func:`column_chain`: 0.89 -> 0.79 on the 28 films' detections).

With per-detection class log-probabilities from a level classifier
(:mod:`spinemm.levels`), steps 2-4 are replaced by
:func:`spinemm.morphometry.lateral_appearance.appearance_levels`: every
vertebra's looks, the distances along the column and whichever of C2 and
S1 the detector found decide the levels together (``anchor='appearance'``),
on partial films too.
"""
import numpy as np

from .lateral_appearance import VERTEBRA_LEVELS, appearance_levels
from .lateral_chain import column_chain, fill_gaps

__all__ = ['VERTEBRA_LEVELS', 'lateral_levels']



def _best(corners, scores, mask):
    idx = np.nonzero(mask)[0]
    if not len(idx):
        return None
    return int(idx[np.argmax(scores[idx])])


def _missing_between(y_upper_inf, y_lower_sup, spacing, disc):
    """Vertebrae that fit between an inferior endplate (y) and the next
    superior endplate found (y), given the local spacing and disc (a
    float: round it)."""
    return max(0.0, float((y_lower_sup - y_upper_inf - disc) / spacing))


def _end_gaps(c, ranks, corners, c2, s1):
    """Vertebrae not found between C2's endplate and the column's top, and
    between its foot and S1's endplate (None without that anchor); ``c``:
    the column's corners, head to foot, ``ranks`` their positions."""
    sup_y, inf_y = c[:, :2, 1].mean(1), c[:, 2:, 1].mean(1)
    if len(c) > 1:
        steps = np.diff(c.mean(1)[:, 1]) / np.diff(ranks)
        discs = (sup_y[1:] - inf_y[:-1]) / np.diff(ranks)
    else:
        steps = np.array([inf_y[0] - sup_y[0]]) * 1.25
        discs = steps * 0.2
    top = foot = None
    if c2 is not None:
        near = slice(0, 3)
        top = _missing_between(corners[c2, 2:, 1].mean(), sup_y[0],
                               np.median(steps[near]),
                               np.median(discs[near]))
    if s1 is not None:
        near = slice(-3, None)
        foot = _missing_between(inf_y[-1], corners[s1, :2, 1].mean(),
                                np.median(steps[near]),
                                np.median(discs[near]))
    return top, foot


#: a step between neighbouring vertebrae along the column, in expected
#: steps (1.25 x their mean height): 0.98 on the truth corners of the 28
#: real films (0.86-1.18)
_STEP = 0.98


def _step_cost(ratio, k):
    """How badly a stretch ``ratio`` expected steps long fits ``k``
    steps (squared log of their quotient)."""
    return float(np.log(max(ratio, 1e-3) / (_STEP * k)) ** 2)


def _reconcile(c, ranks, top, foot, e):
    """Give the column ``e`` steps more (or fewer, ``e`` < 0) where that
    costs least: the stretches (the gaps between found vertebrae, and the
    ends up to C2 and down to S1 when ``top`` / ``foot``, the vertebrae
    not found there as floats, are given) are each given one step more or
    fewer, one at a time, each time where :func:`_step_cost` grows least.
    Returns the new ranks and the new missing counts at the top and the
    foot (ints; None where not given).

    ``c``: the column's corners, head to foot."""
    from .lateral_chain import vertebra_frame
    frames = [vertebra_frame(v) for v in c]
    ratios = [float((b[0] - a[0]) @ a[2]) / (1.25 * (a[1] + b[1]) / 2)
              for a, b in zip(frames[:-1], frames[1:])]
    ks = np.diff(ranks).astype(int).tolist()
    # an end with m missing vertebrae as a stretch of m + 1 steps
    ends = [None if x is None else [x + 1, int(round(x))]
            for x in (top, foot)]
    while e:
        sign = 1 if e > 0 else -1
        best = (np.inf, None)
        for g, (x, k) in enumerate(zip(ratios, ks)):
            if k + sign >= 1:
                d = _step_cost(x, k + sign) - _step_cost(x, k)
                best = min(best, (d, g))
        for g, end in enumerate(ends):
            if end is not None and end[1] + sign >= 0:
                x, m = end
                d = (np.log(x / (m + sign + 1)) ** 2 -
                     np.log(x / (m + 1)) ** 2)
                best = min(best, (d, -1 - g))
        if best[1] is None:
            break
        if best[1] >= 0:
            ks[best[1]] += sign
        else:
            ends[-1 - best[1]][1] += sign
        e -= sign
    ranks = np.concatenate([[0], np.cumsum(ks)]).astype(int)
    return ranks, *[None if end is None else end[1] for end in ends]


def lateral_levels(labels, corners, scores, level_log_probs=None,
                   strong_thr=None, reconcile=True):
    """Give each detection of a lateral film its level.

    Args:
        labels: (D,) class names ``'vertebra'``, ``'C2'`` or ``'S1'``.
        corners: (D, 4, 2) px, in the order of
            :data:`spinemm.anatomy.LATERAL4_KEYPOINT_NAMES`.
        scores: (D,) detection scores.
        level_log_probs: optional (D, 25) log-probabilities per detection
            over :data:`~spinemm.morphometry.lateral_appearance.COLUMN_CLASSES`
            (rows of C2 / S1 detections unused): levels from appearance.
        strong_thr: vertebrae scored below it are weak: kept only where
            they fill a gap of the column the others make
            (:func:`~spinemm.morphometry.lateral_chain.fill_gaps`; at its
            ends only towards a C2 or S1 found, where vertebrae are
            missing). None: every vertebra is strong.

    Returns:
        dict(column={level: (4, 2)} (C2: superior corners NaN; S1:
        inferior corners NaN), source={level: detection index},
        anchor='S1' | 'C2' | 'appearance' | None,
        consistent=bool or None (both anchors: did the counts from each
        agree), skipped=[levels inferred as not found, inside gaps],
        strays=[vertebra detections off the column], margin=the
        appearance path's log-score lead over the next-best end level, or
        None); from appearance also called={'C2' / 'S1': the vertebra
        detection taken for that bone (counted, not measured from)}.
    """
    labels = np.asarray(labels)
    corners = np.asarray(corners, float).reshape(-1, 4, 2)
    scores = np.asarray(scores, float).reshape(-1)
    if not len(labels) == len(corners) == len(scores):
        raise ValueError(f'{len(labels)} labels, {len(corners)} corner sets '
                         f'and {len(scores)} scores: one each per detection')
    if level_log_probs is not None and len(level_log_probs) != len(labels):
        raise ValueError(f'{len(level_log_probs)} rows of level '
                         f'log-probabilities for {len(labels)} detections')
    ok = np.isfinite(corners).all((1, 2)) & np.isfinite(scores)
    c2 = _best(corners, scores, ok & (labels == 'C2'))
    s1 = _best(corners, scores, ok & (labels == 'S1'))
    cand = np.nonzero(ok & (labels == 'vertebra'))[0]
    cy = corners[cand].mean(1)[:, 1]
    c2_y = corners[c2, 2:, 1].mean() if c2 is not None else -np.inf
    s1_y = corners[s1, :2, 1].mean() if s1 is not None else np.inf
    cand = cand[(cy > c2_y) & (cy < s1_y)]
    strong = scores[cand] >= (strong_thr if strong_thr is not None
                              else -np.inf)
    if level_log_probs is not None:  # weak vertebrae unused
        return _from_appearance(labels, corners, scores, level_log_probs,
                                cand[strong], c2, s1)
    order, ranks = column_chain(corners[cand[strong]],
                                scores[cand[strong]])
    idx = cand[strong][order]
    if (~strong).any() and len(idx):
        top, foot = _end_gaps(corners[idx], ranks, corners, c2, s1)
        idx, ranks = fill_gaps(corners, scores, cand[strong], cand[~strong],
                               up=bool(top and round(top)),
                               down=bool(foot and round(foot)))
    sure = scores >= (strong_thr if strong_thr is not None else -np.inf)
    out = dict(column={}, source={}, anchor=None, consistent=None,
               skipped=[], margin=None,
               strays=sorted(set(np.nonzero((labels == 'vertebra') & sure)[0]
                                 .tolist()) - set(idx.tolist())))
    if c2 is not None:
        out['column']['C2'] = np.concatenate(
            [np.full((2, 2), np.nan), corners[c2, 2:]])
        out['source']['C2'] = c2
    if s1 is not None:
        out['column']['S1'] = np.concatenate(
            [corners[s1, :2], np.full((2, 2), np.nan)])
        out['source']['S1'] = s1
    if not len(idx):
        out['anchor'] = 'S1' if s1 is not None else (
            'C2' if c2 is not None else None)
        return out
    n = len(VERTEBRA_LEVELS)
    top, foot = _end_gaps(corners[idx], ranks, corners, c2, s1)
    top_from_c2 = None if top is None else int(round(top))
    miss = None if foot is None else int(round(foot))
    if s1 is not None:
        first = n - 1 - miss - ranks[-1]
        out['anchor'] = 'S1'
        if top_from_c2 is not None:
            out['consistent'] = bool(first == top_from_c2)
        # the count between C2 and S1 is fixed (C3..L5); with S1 alone,
        # no vertebra lies above C3 (one would be C2)
        e = (top_from_c2 - first if top_from_c2 is not None
             else max(-first, 0))  # steps too many
        if reconcile and e and len(idx) > 1:
            ranks, top_i, miss = _reconcile(corners[idx], ranks, top, foot,
                                            -e)
            first = n - 1 - miss - ranks[-1]
            out['reconciled'] = True
    elif c2 is not None:
        first = top_from_c2
        out['anchor'] = 'C2'
        # with C2 alone, no vertebra lies below L5 (one would be S1)
        e = first + ranks[-1] - (n - 1)  # steps too many
        if reconcile and e > 0 and len(idx) > 1:
            ranks, first, _ = _reconcile(corners[idx], ranks, top, None, -e)
            out['reconciled'] = True
    else:
        first = n - 1 - ranks[-1]  # a guess: the lowest is L5
    for i, r in zip(idx, ranks):
        k = first + int(r)
        if 0 <= k < n:
            out['column'][VERTEBRA_LEVELS[k]] = corners[i]
            out['source'][VERTEBRA_LEVELS[k]] = int(i)
    got = [first + int(r) for r in ranks]
    out['skipped'] = [VERTEBRA_LEVELS[k]
                      for k in range(max(got[0], 0), min(got[-1], n - 1))
                      if k not in got]
    return out


def _from_appearance(labels, corners, scores, log_probs, cand, c2, s1):
    """lateral_levels' result from appearance_levels (see the module
    docstring)."""
    r = appearance_levels(
        corners[cand], scores[cand], np.asarray(log_probs, float)[cand],
        c2=None if c2 is None else corners[c2, 2:],
        s1=None if s1 is None else corners[s1, :2])
    out = dict(column={}, source={}, anchor='appearance', consistent=None,
               skipped=[], margin=r['margin'],
               strays=sorted(set(np.nonzero(labels == 'vertebra')[0]
                                 .tolist()) -
                             {int(cand[i]) for i in r['levels']}))
    for lv, det in (('C2', c2), ('S1', s1)):
        if det is not None:
            out['column'][lv], out['source'][lv] = corners[det], int(det)
    # a vertebra detection the path calls C2 or S1 is that bone: it counts
    # (the levels next to it follow from it) but gives no endplate to
    # measure from: the angles take C2 and S1 from the detector's own
    # classes only (a classifier's guess there made lumbar lordosis wrong
    # by 50-140 degrees on cut-outs where a pelvic box was called S1)
    out['called'] = {}
    for i, lv in r['levels'].items():
        if lv in ('C2', 'S1'):
            out['called'][lv] = int(cand[i])
        else:
            out['column'][lv], out['source'][lv] = corners[cand[i]], \
                int(cand[i])
    for lv, keep in (('C2', slice(2, 4)), ('S1', slice(0, 2))):
        if lv in out['column']:  # one endplate of C2 / S1
            c = np.full((4, 2), np.nan)
            c[keep] = np.asarray(out['column'][lv])[keep]
            out['column'][lv] = c
    got = sorted(VERTEBRA_LEVELS.index(lv) for lv in out['column']
                 if lv in VERTEBRA_LEVELS)
    if got:
        out['skipped'] = [VERTEBRA_LEVELS[k]
                          for k in range(got[0], got[-1]) if k not in got]
    return out
