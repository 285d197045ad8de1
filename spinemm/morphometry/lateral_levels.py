"""Detections on a lateral film -> a column with levels (plain numpy).

The lateral detector (``configs/vertebra_lateral``) finds three kinds of
object: ``vertebra`` (C3..L5, four corners each), ``C2`` (its inferior
endplate) and ``S1`` (its superior endplate). C2 (the dens above it) and
the sacrum look like nothing else on the film, so they are the anchors the
levels are counted from; a film that shows part of the spine (a lumbar
film) still has its sacrum, a cervical film its C2:

1. duplicates dropped (a centre within half a vertebra of a higher-scoring
   one), vertebrae sorted head to foot; vertebrae above C2's endplate or
   below S1's are strays and dropped;
2. gaps: a gap between neighbouring centres of 1.6 or more local spacings
   holds ``round(ratio) - 1`` vertebrae not found (their level is skipped,
   nothing is invented: their corners are not made up);
3. anchor: with S1, the vertebra nearest above it is L5 unless the space
   between them holds more vertebrae (measured as in 2, from L5's inferior
   endplate to S1's superior one, minus a disc); the others count up from
   it. Without S1, C3 is counted down from C2 the same way. With neither,
   the lowest vertebra is taken for L5 and the column is marked
   ``anchor=None`` (a guess, to be shown as one);
4. with both anchors, the count between them is checked: ``consistent``
   says whether C2 lands where the levels counted from S1 put it. When it
   does not, a gap's count of vertebrae not found is wrong, most likely the
   widest gap's: above it the levels are counted from C2, below it from S1
   (``anchor='C2+S1'``), unless that breaks the order (then S1's count
   stands).
"""
import numpy as np

from .column import GAP_RATIO, _gap_ratios, drop_duplicates

#: C3..L5: the vertebrae the detector finds with four corners
VERTEBRA_LEVELS = tuple(['C%d' % i for i in range(3, 8)] +
                        ['T%d' % i for i in range(1, 13)] +
                        ['L%d' % i for i in range(1, 6)])


def _best(corners, scores, mask):
    idx = np.nonzero(mask)[0]
    if not len(idx):
        return None
    return int(idx[np.argmax(scores[idx])])


def _missing_between(y_upper_inf, y_lower_sup, spacing, disc):
    """Vertebrae that fit between an inferior endplate (y) and the next
    superior endplate found (y), given the local spacing and disc."""
    return max(0, int(round((y_lower_sup - y_upper_inf - disc) / spacing)))


def _split_at_widest_gap(ranks, cy, first_s1, first_c2, n):
    """When the counts from C2 and from S1 disagree, the error lies in the
    estimated number of vertebrae missed inside some gap, most likely the
    widest: the vertebrae above it keep the levels counted from C2, those
    below the levels counted from S1. Returns (ranks, first) or None when
    that does not give increasing levels (then S1's count stands)."""
    if len(ranks) < 2 or first_s1 == first_c2:
        return None
    g = int(np.argmax(np.diff(cy) / np.maximum(np.diff(ranks), 1)))
    levels = np.concatenate([first_c2 + ranks[:g + 1],
                             first_s1 + ranks[g + 1:]])
    if np.any(np.diff(levels) < 1) or levels[0] < 0 or levels[-1] > n - 1:
        return None
    return levels, 0


def lateral_levels(labels, corners, scores):
    """Give each detection of a lateral film its level.

    Args:
        labels: (D,) class names ``'vertebra'``, ``'C2'`` or ``'S1'``.
        corners: (D, 4, 2) px, in the order of
            :data:`spinemm.anatomy.LATERAL4_KEYPOINT_NAMES`.
        scores: (D,) detection scores.

    Returns:
        dict(column={level: (4, 2)} (C2: superior corners NaN; S1:
        inferior corners NaN), source={level: detection index},
        anchor='S1' | 'C2' | 'C2+S1' | None, consistent=bool or None (both
        anchors: did the counts from each agree), skipped=[levels inferred
        as not found, inside gaps]).
    """
    labels = np.asarray(labels)
    corners = np.asarray(corners, float).reshape(-1, 4, 2)
    scores = np.asarray(scores, float).reshape(-1)
    if not len(labels) == len(corners) == len(scores):
        raise ValueError(f'{len(labels)} labels, {len(corners)} corner sets '
                         f'and {len(scores)} scores: one each per detection')
    ok = np.isfinite(corners).all((1, 2)) & np.isfinite(scores)
    c2 = _best(corners, scores, ok & (labels == 'C2'))
    s1 = _best(corners, scores, ok & (labels == 'S1'))
    idx = np.nonzero(ok & (labels == 'vertebra'))[0]
    idx = idx[drop_duplicates(corners[idx], scores[idx])]
    cy = corners[idx].mean(1)[:, 1]
    idx, cy = idx[np.argsort(cy, kind='stable')], np.sort(cy)
    c2_y = corners[c2, 2:, 1].mean() if c2 is not None else -np.inf
    s1_y = corners[s1, :2, 1].mean() if s1 is not None else np.inf
    keep = (cy > c2_y) & (cy < s1_y)
    idx, cy = idx[keep], cy[keep]
    out = dict(column={}, source={}, anchor=None, consistent=None,
               skipped=[])
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
    # ranks along the column, gaps counted
    ranks = [0]
    if len(idx) > 1:
        ratios = _gap_ratios(np.diff(cy))
        for r in ratios:
            ranks.append(ranks[-1] + 1 + (int(round(r)) - 1
                                          if r >= GAP_RATIO else 0))
    ranks = np.asarray(ranks)
    c = corners[idx]
    sup_y, inf_y = c[:, :2, 1].mean(1), c[:, 2:, 1].mean(1)
    if len(idx) > 1:
        steps = np.diff(cy) / np.diff(ranks)
        discs = (sup_y[1:] - inf_y[:-1]) / np.diff(ranks)
    else:
        steps = np.array([inf_y[0] - sup_y[0]]) * 1.25
        discs = steps * 0.2
    n = len(VERTEBRA_LEVELS)
    top_from_c2 = None
    if c2 is not None:
        near = slice(0, 3)
        top_from_c2 = _missing_between(c2_y, sup_y[0],
                                       np.median(steps[near]),
                                       np.median(discs[near]))
    if s1 is not None:
        near = slice(-3, None)
        miss = _missing_between(inf_y[-1], s1_y, np.median(steps[near]),
                                np.median(discs[near]))
        first = n - 1 - miss - ranks[-1]
        out['anchor'] = 'S1'
        if top_from_c2 is not None:
            out['consistent'] = bool(first == top_from_c2)
            split = _split_at_widest_gap(ranks, cy, first, top_from_c2, n)
            if split is not None:
                ranks, first = split
                out['anchor'] = 'C2+S1'
    elif c2 is not None:
        first = top_from_c2
        out['anchor'] = 'C2'
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
