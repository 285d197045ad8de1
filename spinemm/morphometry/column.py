"""Per-vertebra detections -> one ordered column of N levels (plain numpy).

A per-vertebra detector finds vertebrae in no particular order, sometimes
twice, sometimes not at all; the Cobb-angle rule needs exactly one set of
corners per level, head to foot (T1..L5 on an AASCE film). This module
does that step and says which levels were filled in rather than detected:

1. duplicates: a detection whose centre lies within half a vertebra of a
   higher-scoring one is dropped;
2. order: by centre height (image y), head first;
3. too many: the run of ``n`` consecutive detections with the largest
   summed score is kept (stray boxes above T1 or below L5 fall away);
4. too few: a gap between neighbours wider than 1.6 local spacings (the
   median of the two gaps on either side) gets the missing vertebrae
   interpolated in it (corners linearly between the
   neighbours), then any still missing are extrapolated at the end of the
   column with more room to the film's edge (the end vertebra moved by the
   spacing of its last two neighbours; its tilt is kept).

Filled-in levels have source -1, so a report can show them and a
metric can count them as not found.
"""
import numpy as np


def _centres(corners):
    return corners.mean(1)


#: (upper, lower) keypoint pairs along the two sides of a vertebra, by the
#: number of keypoints of the scheme (spinemm.anatomy): AP corners
#: superior/inferior x right/left, lateral bottom_left..top_left
_SIDES = {4: ((0, 2), (1, 3)), 6: ((5, 0), (3, 2))}


def _heights(corners):
    """Vertebral height: the mean length of the two sides (a tilted
    vertebra's y extent is not its height)."""
    c = corners
    sides = _SIDES.get(c.shape[1])
    if sides is None:
        return np.ptp(c[..., 1], axis=1)
    return np.mean([np.linalg.norm(c[:, a] - c[:, b], axis=-1)
                    for a, b in sides], axis=0)


#: a gap this many local spacings wide holds a missing vertebra. On the
#: 481 AASCE truth columns 2.3 % have a natural gap above 1.6 (false
#: fills) and 3.6 % of single dropped levels leave one below it (missed).
GAP_RATIO = 1.6


def drop_duplicates(corners, scores):
    """Indices of the detections kept, highest score first: one whose
    centre is within half the vertebral height of a kept one is a
    duplicate."""
    order = np.argsort(-scores, kind='stable')
    centres, heights = _centres(corners), _heights(corners)
    kept = []
    for i in order:
        if all(np.linalg.norm(centres[i] - centres[j]) >=
               0.5 * max(heights[j], 1e-6) for j in kept):
            kept.append(i)
    return np.asarray(kept, int)


def assemble_column(corners, scores, n=17, image_height=None):
    """Detections -> exactly ``n`` levels head to foot.

    Args:
        corners: (D, K, 2) px, the K keypoints of each detected vertebra.
        scores: (D,) detection scores.
        n: the number of levels of the column (17 = T1..L5).
        image_height: the film's height in px; decides at which end the
            missing vertebrae go (the end with more room). Without it the
            foot end gets them.

    Returns:
        corners (n, K, 2) and source (n,) int: the index of the detection
        each level came from, -1 where it was filled in. With fewer than
        two detections there is no spacing to fill with: corners are NaN
        (every angle computed from them is NaN, never a number).
    """
    corners = np.asarray(corners, float)
    scores = np.asarray(scores, float).reshape(-1)
    if corners.ndim != 3 or len(corners) != len(scores):
        raise ValueError(f'corners must be (D, K, 2) with one score each, '
                         f'got {corners.shape} and {scores.shape}')
    k = corners.shape[1]
    idx = np.nonzero(np.isfinite(corners).all((1, 2)) &
                     np.isfinite(scores))[0]
    idx = idx[drop_duplicates(corners[idx], scores[idx])]
    idx = idx[np.argsort(_centres(corners[idx])[:, 1], kind='stable')]
    if len(idx) < 2:
        return np.full((n, k, 2), np.nan), np.full(n, -1)
    if len(idx) > n:
        sums = np.convolve(scores[idx], np.ones(n), mode='valid')
        start = int(np.argmax(sums))
        idx = idx[start:start + n]
    column, source = list(corners[idx]), list(idx)
    # interpolate into gaps, widest (in local spacings) first
    while len(column) < n:
        ratio = _gap_ratios(np.diff([c[:, 1].mean() for c in column]))
        g = int(np.argmax(ratio))
        if ratio[g] < GAP_RATIO:
            break
        missing = min(int(round(ratio[g])) - 1, n - len(column))
        a, b = column[g], column[g + 1]
        column[g + 1:g + 1] = [a + (b - a) * (t / (missing + 1))
                               for t in range(1, missing + 1)]
        source[g + 1:g + 1] = [-1] * missing
    # extrapolate at the end with more room
    while len(column) < n:
        room_top = column[0][:, 1].mean()
        room_foot = (image_height - column[-1][:, 1].mean()
                     if image_height else np.inf)
        if room_top > room_foot:
            column.insert(0, column[0] - _shift(column[0], column[1]))
            source.insert(0, -1)
        else:
            column.append(column[-1] + _shift(column[-2], column[-1]))
            source.append(-1)
    return np.asarray(column), np.asarray(source, int)


def _gap_ratios(gaps):
    """Each gap between neighbouring centres over the local spacing (the
    median of the gaps next to it): vertebrae and discs grow from T1 to
    L5, so one spacing for the whole column would read the wide lumbar
    gaps as missing vertebrae."""
    gaps = np.asarray(gaps, float)
    out = np.ones(len(gaps))
    for g in range(len(gaps)):
        near = gaps[max(g - 2, 0):g].tolist() + gaps[g + 1:g + 3].tolist()
        if near:
            out[g] = gaps[g] / max(np.median(near), 1e-6)
    return out


def _shift(upper, lower):
    """The centre step from one vertebra to the next (2,)."""
    return lower.mean(0) - upper.mean(0)


def merge_flipped(corners, scores, corners_f, scores_f, kpt_scores=None,
                  kpt_scores_f=None):
    """Test-time flip: the detections of a film and of its mirror image
    (already mapped back to the film, names swapped) as one set. A
    detection of each pass whose centres lie within half a vertebra of
    each other (nearest first, one to one) become one: corners, score and
    per-corner scores averaged; a vertebra only one pass found is kept as
    that pass gave it.

    Returns corners (M, K, 2), scores (M,) and per-corner scores (M, K)
    (the detection score where none were given).
    """
    corners = np.asarray(corners, float)
    corners_f = np.asarray(corners_f, float)
    k = corners.shape[1] if len(corners) else corners_f.shape[1]
    corners = corners.reshape(-1, k, 2)
    corners_f = corners_f.reshape(-1, k, 2)
    scores = np.asarray(scores, float).reshape(-1)
    scores_f = np.asarray(scores_f, float).reshape(-1)
    kp = (np.repeat(scores[:, None], k, 1) if kpt_scores is None
          else np.asarray(kpt_scores, float).reshape(-1, k))
    kpf = (np.repeat(scores_f[:, None], k, 1) if kpt_scores_f is None
           else np.asarray(kpt_scores_f, float).reshape(-1, k))
    pairs = []
    if len(corners) and len(corners_f):
        c, cf = _centres(corners), _centres(corners_f)
        limit = 0.5 * np.maximum(_heights(corners), 1e-6)
        dist = np.linalg.norm(c[:, None] - cf[None], axis=-1)
        pairs = sorted((dist[i, j], i, j) for i in range(len(c))
                       for j in range(len(cf)) if dist[i, j] < limit[i])
    used_a, used_b, out = set(), set(), []
    for _, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        out.append(((corners[i] + corners_f[j]) / 2,
                    (scores[i] + scores_f[j]) / 2, (kp[i] + kpf[j]) / 2))
    out += [(corners[i], scores[i], kp[i]) for i in range(len(corners))
            if i not in used_a]
    out += [(corners_f[j], scores_f[j], kpf[j])
            for j in range(len(corners_f)) if j not in used_b]
    if not out:
        return np.zeros((0, k, 2)), np.zeros(0), np.zeros((0, k))
    c, s, p = zip(*out)
    return np.asarray(c), np.asarray(s), np.asarray(p)
