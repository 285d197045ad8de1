"""Vertebra detections of a lateral film -> one chain down the column
(plain numpy).

A detector's vertebrae come with duplicates (a second, smaller box inside
a vertebra), strays (a box on the bowel gas or the scapula, off the column)
and misses. Sorting the centres by height and measuring gaps against the
local spacing, as :mod:`spinemm.morphometry.column` does for AP films, lets
one stray or one fragment shift every level below it. Here the column is
followed instead:

1. fragments: a detection whose corner box lies more than half inside a
   higher-scoring one's is dropped;
2. chain: from a start detection, the next vertebra below is the nearest
   detection that lies below along the current vertebra's own axis
   (superior to inferior), at least half a step and at most ``reach`` steps
   away (a step: the two vertebral heights' mean plus a disc of
   ``disc`` heights), and within ``lateral`` endplate widths of its axis
   (plus 0.15 per unit of distance, for the curves); the same upwards.
   A step of ``gap`` (1.6) or more expected steps holds
   ``floor(distance / step - gap) + 1`` vertebrae not found;
3. every detection is tried as the start; the chain with the largest
   summed score is the column. Detections off it are strays.
"""
import numpy as np


def vertebra_frame(corners):
    """Centre (2,), height (px) and the unit vectors of a vertebra's own
    frame, ``down`` (superior to inferior) and ``forward`` (posterior to
    anterior), from its 4 corners in the order of
    :data:`spinemm.anatomy.LATERAL4_KEYPOINT_NAMES` (superior posterior,
    superior anterior, inferior posterior, inferior anterior)."""
    c = np.asarray(corners, float).reshape(4, 2)
    if not np.isfinite(c).all():
        raise ValueError('a vertebra frame needs 4 finite corners')
    centre = c.mean(0)
    forward = (c[1] - c[0]) + (c[3] - c[2])
    down = (c[2] - c[0]) + (c[3] - c[1])
    height = (np.linalg.norm(c[2] - c[0]) + np.linalg.norm(c[3] - c[1])) / 2
    down = down / max(np.linalg.norm(down), 1e-6)
    forward = forward - down * float(forward @ down)  # perpendicular
    n = np.linalg.norm(forward)
    if n < 1e-6:  # degenerate corners: anterior taken as +x
        forward = np.array([-down[1], down[0]])
        forward = forward * (np.sign(forward[0]) or 1.0)
    else:
        forward = forward / n
    return centre, float(height), down, forward


def facing_away(corners):
    """Indices of the vertebrae whose front (posterior -> anterior) points
    against the column's: the sum of every vertebra's unit ``forward``
    (:func:`vertebra_frame`). A keypoint model that mixes up anterior and
    posterior gives such a vertebra (its endplate angle then reads
    180 degrees off)."""
    corners = np.asarray(corners, float).reshape(-1, 4, 2)
    if len(corners) < 3:
        return np.zeros(0, int)
    fwd = np.array([vertebra_frame(c)[3] for c in corners])
    total = fwd.sum(0)
    return np.nonzero(fwd @ total < 0)[0]


def drop_fragments(corners, scores, frac=0.5):
    """Indices kept (ascending): a detection whose corner box lies more than
    ``frac`` inside a higher-scoring kept one's (or holds it) is a
    fragment."""
    corners = np.asarray(corners, float)
    lo, hi = corners.min(1), corners.max(1)
    area = np.prod(hi - lo, 1)
    kept = []
    for i in np.argsort(-np.asarray(scores, float), kind='stable'):
        inter = [np.prod(np.clip(np.minimum(hi[i], hi[j]) -
                                 np.maximum(lo[i], lo[j]), 0, None))
                 for j in kept]
        if all(x <= frac * min(area[i], area[j])
               for x, j in zip(inter, kept)):
            kept.append(int(i))
    return np.asarray(sorted(kept), int)


def _follow(frames, widths, start, disc, reach, lateral, gap):
    centres, heights, downs, forwards = frames
    seq, ranks, used = [start], [0], {start}
    for sign in (1, -1):
        i, r = start, 0
        while True:
            best = None
            for j in range(len(centres)):
                if j in used:
                    continue
                v = centres[j] - centres[i]
                t = sign * float(v @ downs[i])
                step = (1 + disc) * (heights[i] + heights[j]) / 2
                if not 0.5 * step <= t <= reach * step:
                    continue
                if abs(float(v @ forwards[i])) > (
                        lateral * max(widths[i], widths[j]) + 0.15 * t):
                    continue
                if best is None or t < best[0]:
                    best = (t, j, step)
            if best is None:
                break
            t, j, step = best
            missed = int(np.floor(t / step - gap)) + 1 if t >= gap * step \
                else 0
            r += sign * (1 + missed)
            used.add(j)
            seq.append(j)
            ranks.append(r)
            i = j
    order = np.argsort(ranks, kind='stable')
    ranks = np.asarray(ranks)[order]
    return np.asarray(seq)[order], ranks - ranks[0]


def column_chain(corners, scores, disc=0.25, reach=5.0, lateral=1.0,
                 gap=1.6):
    """The column through the detections (see the module docstring).

    Args:
        corners: (D, 4, 2) px, lateral 4-corner order; scores: (D,).

    Returns:
        order (K,) int: the detections of the column, head to foot;
        ranks (K,) int: their positions along it, 0 for the first, a gap
        holding m vertebrae not found adding m.
    """
    corners = np.asarray(corners, float).reshape(-1, 4, 2)
    scores = np.asarray(scores, float).reshape(-1)
    if not len(corners):
        return np.zeros(0, int), np.zeros(0, int)
    keep = drop_fragments(corners, scores)
    c = corners[keep]
    frames = [np.array(x) for x in zip(*[vertebra_frame(v) for v in c])]
    widths = (np.linalg.norm(c[:, 1] - c[:, 0], axis=1) +
              np.linalg.norm(c[:, 3] - c[:, 2], axis=1)) / 2
    best = None
    for start in range(len(c)):
        seq, ranks = _follow(frames, widths, start, disc, reach, lateral,
                             gap)
        total = float(scores[keep][seq].sum())
        if best is None or total > best[0] + 1e-9:
            best = (total, seq, ranks)
    _, seq, ranks = best
    return keep[seq], ranks



def _subsequence(old, new):
    """Is ``old`` a subsequence of ``new`` (every item, in order)?"""
    it = iter(new)
    return all(x in it for x in old)


def _crowded(corners, chain, at, spacing):
    """Does the vertebra ``chain[at]`` sit closer than ``spacing``
    expected steps to a neighbour along the column (a second box on a
    vertebra already there)?"""
    for a, b in ((at - 1, at), (at, at + 1)):
        if a < 0 or b >= len(chain):
            continue
        ca, ha, down, _ = vertebra_frame(corners[chain[a]])
        cb, hb, _, _ = vertebra_frame(corners[chain[b]])
        if float((cb - ca) @ down) < spacing * 1.25 * (ha + hb) / 2:
            return True
    return False


def fill_gaps(corners, scores, strong, weak, up=False, down=False,
              spacing=0.8, **kw):
    """The column through the ``strong`` detections, with ``weak`` ones
    (scored below the detector's threshold) kept only where they fill a
    gap of it.

    The column is first followed through the strong detections alone
    (:func:`column_chain`). Then each weak detection, best first, is tried:
    the column is followed again through the strong detections, the weak
    ones kept so far and this one. It is kept when that column holds every
    vertebra the column held before, in the same order, and it lands

    - between two of them that were 2 or more ranks apart (a gap said to
      hold a vertebra not found), or
    - beyond the column's top or foot, in a stretch that a strong
      detection ends (it bridges a gap to strong vertebrae the column
      had left out), or, with ``up`` / ``down`` (C2 above / S1 below, with
      room for missing vertebrae), in any stretch there.

    So a weak box on the pelvis or behind the shoulder never lengthens a
    column that has nothing to end it. A weak box closer than ``spacing``
    expected steps (a vertebral height and a quarter) to a neighbour along
    the column is a second box on a vertebra already there and is not
    kept (real steps on the 28 films: 0.9-1.15 mostly).

    Args:
        corners: (D, 4, 2); scores: (D,); strong, weak: index arrays into
            them; ``kw``: :func:`column_chain`'s parameters.

    Returns:
        order (K,): indices into ``corners``, head to foot; ranks (K,) as
        :func:`column_chain` gives them.
    """
    corners = np.asarray(corners, float).reshape(-1, 4, 2)
    scores = np.asarray(scores, float).reshape(-1)
    strong = np.asarray(strong, int).reshape(-1)
    order, ranks = column_chain(corners[strong], scores[strong], **kw)
    chain, ranks = strong[order].tolist(), ranks.tolist()
    kept = []
    is_strong = set(strong.tolist())
    for w in sorted(np.asarray(weak, int).reshape(-1).tolist(),
                    key=lambda i: -scores[i]):
        if not chain or w in chain:
            continue
        trial = np.asarray(strong.tolist() + kept + [w])
        o, r = column_chain(corners[trial], scores[trial], **kw)
        got = trial[o].tolist()
        if w not in got or not _subsequence(chain, got) or \
                _crowded(corners, got, got.index(w), spacing):
            continue
        at = got.index(w)
        top, foot = got.index(chain[0]), got.index(chain[-1])
        if at < top:
            ok = up or got[0] in is_strong
        elif at > foot:
            ok = down or got[-1] in is_strong
        else:  # between two vertebrae of the column: a gap there before?
            k = sum(got.index(c) < at for c in chain)
            ok = ranks[k] - ranks[k - 1] >= 2
        if ok:
            kept.append(w)
            chain, ranks = got, r.tolist()
    return np.asarray(chain, int), np.asarray(ranks, int)
