"""Genant semi-quantitative grading of a column of vertebrae.

Genant HK, Wu CY, van Kuijk C, Nevitt MC. Vertebral fracture assessment using
a semiquantitative technique. J Bone Miner Res 1993;8(9):1137-48. A vertebra
is graded by its *height reduction*: grade 1 (mild) approximately 20-25 %
reduction in anterior, middle and/or posterior height, grade 2 (moderate)
25-40 %, grade 3 (severe) above 40 %. The reduction is judged within the
vertebra (one height against the others) and against the expected height,
that of the adjacent vertebrae. Here, with Ha, Hm, Hp the anterior, middle
and posterior heights:

- intra ratio      = min(Ha, Hm, Hp) / max(Ha, Hm, Hp)
- neighbour ratios = Ha / E(Ha), Hm / E(Hm), Hp / E(Hp), where E(H) is the
  mean of that height over the adjacent vertebrae present
- height loss      = 1 - min(all ratios), never below 0
- grade            = :func:`spinemm.anatomy.genant_grade` (<= 20 %: 0,
  20-25 %: 1, 25-40 %: 2, > 40 %: 3; a loss exactly on a boundary takes the
  lower grade)
- type (grade >= 1 only): when the heights disagree within the vertebra
  (the intra ratio alone is a grade >= 1 reduction), ``biconcave`` if the
  middle height is the smallest, ``wedge`` if an end height (anterior or
  posterior) is; otherwise, heights uniform but below the neighbours',
  ``crush``.

Also reported, as the classic ratios: wedge ratio Ha/Hp, biconcave ratio
Hm/Hp, crush ratio Hp / E(Hp).

Edge cases, as defined here:

- *ends of the column / gaps*: a vertebra's neighbours are the vertebrae next
  to it along the spine; when levels are known, only those one level away in
  the column present (:func:`spinemm.anatomy.column_ranks`: T12-L1 are
  adjacent unless a T13 is there, L5-S1 unless an L6 is; a missing level
  leaves a gap). Without a neighbour the neighbour ratios are NaN and the
  grade rests on the intra ratio.
- *levels*: names go through :func:`spinemm.anatomy.normalize_level`
  (``Th12``, ``TH12``, ``T12`` and VerSe numbers are one level); when every
  name is known the levels order the column, otherwise the unknown names are
  warned about and the column is ordered by geometry.
- *missing or low-score keypoints*: heights that need the point are NaN, and so
  are the ratios that use them; the grade rests on the ratios that remain and
  ``incomplete`` is set. With no ratio left the grade is ``None``.
- *degenerate geometry*: a zero or non-finite height among those measured
  (coincident points) makes the vertebra ungraded (``None``).
- *orientation*: keypoint names are anatomical, so a mirrored image gives the
  same heights, ratios and grades.
"""
import warnings
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np

from ..anatomy import (KEYPOINT_NAMES, column_ranks, genant_grade,
                       normalize_level)
from .heights import vertebral_heights


@dataclass
class VertebraMorphometry:
    """Morphometry of one vertebra (heights in the unit of the spacing)."""
    index: int  # position in the caller's input
    level: Optional[str]
    ha: float
    hm: float
    hp: float
    wedge_ratio: float
    biconcave_ratio: float
    crush_ratio: float
    height_loss: Optional[float]
    grade: Optional[int]
    fracture_type: Optional[str]
    missing: List[str] = field(default_factory=list)
    incomplete: bool = False
    intra_ratio: float = float('nan')
    neighbour_ratios: tuple = (float('nan'), ) * 3  # Ha, Hm, Hp vs E(H)


def _spine_order(keypoints, level_index):
    """Indices from superior to inferior.

    With levels: their order. Otherwise a chain along the column: start at
    the most superior end of the main axis and step to the nearest centre
    not yet visited, so that a sharply bent column (kyphosis, scoliosis)
    keeps its sequence where a projection on one axis would swap vertebrae.
    """
    if level_index is not None:
        return np.argsort(level_index, kind='stable')
    centres = np.nanmean(keypoints, axis=1)  # (N, 2)
    if len(centres) < 3 or not np.isfinite(centres).all():
        return np.argsort(centres[:, 1], kind='stable')
    d = centres - centres.mean(0)
    axis = np.linalg.svd(d, full_matrices=False)[2][0]
    if axis[1] > 0:  # pointing up the image (superior)
        axis = -axis
    order = [int(np.argmax(d @ axis))]
    left = set(range(len(centres))) - set(order)
    while left:
        cand = sorted(left)
        dist = np.linalg.norm(centres[cand] - centres[order[-1]], axis=1)
        order.append(cand[int(np.argmin(dist))])
        left.remove(order[-1])
    return np.array(order)


def _neighbours(order, ranks):
    """For each input index, the indices of its adjacent vertebrae."""
    result = {int(i): [] for i in order}
    for a, b in zip(order[:-1], order[1:]):
        if ranks is not None and abs(ranks[a] - ranks[b]) != 1:
            continue  # a missing level between them
        result[int(a)].append(int(b))
        result[int(b)].append(int(a))
    return result


def _canonical_levels(levels):
    """Canonical names (None where unknown) and whether all are known."""
    names = [normalize_level(lv) for lv in levels]
    unknown = sorted({str(lv) for lv, n in zip(levels, names) if n is None})
    if unknown:
        warnings.warn(f'unknown level name(s) {unknown}: the column is '
                      'ordered by geometry and adjacency is not checked '
                      'against levels')
    return names, not unknown and len(set(names)) == len(names)


def _grade(heights, i, neighbours):
    """Ratios, loss, grade and type of vertebra ``i`` (see the module
    docstring)."""
    h = heights[i]
    measured = h[np.isfinite(h)]
    if measured.size == 0 or (measured <= 1e-9).any():
        nan = float('nan')
        return dict(intra=nan, nb=(nan, ) * 3, loss=None, grade=None,
                    ftype=None)
    intra = float(measured.min() / measured.max()) if measured.size > 1 \
        else float('nan')
    nb = []
    for k in range(3):
        ref = [heights[j, k] for j in neighbours
               if np.isfinite(heights[j, k]) and heights[j, k] > 1e-9]
        nb.append(float(h[k] / np.mean(ref)) if ref and np.isfinite(h[k])
                  else float('nan'))
    ratios = np.array([intra] + nb)
    if not np.isfinite(ratios).any():
        return dict(intra=intra, nb=tuple(nb), loss=None, grade=None,
                    ftype=None)
    loss = max(0.0, 1.0 - float(np.nanmin(ratios)))
    grade = genant_grade(loss)
    ftype = None
    if grade:
        if np.isfinite(intra) and genant_grade(1.0 - intra) >= 1:
            # the heights disagree within the vertebra: the smallest says how
            ftype = 'biconcave' if int(np.nanargmin(h)) == 1 else 'wedge'
        else:  # uniform heights, all below the neighbours'
            ftype = 'crush'
    return dict(intra=intra, nb=tuple(nb), loss=loss, grade=grade,
                ftype=ftype)


def assess_column(keypoints,
                  spacing=1.0,
                  scores=None,
                  score_thr: float = 0.3,
                  levels: Optional[Sequence[str]] = None
                  ) -> List[VertebraMorphometry]:
    """Heights, ratios and Genant grade of every vertebra of one image.

    Args:
        keypoints: (N, 6, 2) pixel coordinates, order of ``KEYPOINT_NAMES``.
        spacing: mm per pixel, scalar or (row, col).
        scores: optional (N, 6) keypoint scores; below ``score_thr`` a point
            counts as missing.
        levels: optional level names of the N vertebrae (C1..S1, with the
            aliases of :func:`spinemm.anatomy.normalize_level`); reported
            in canonical spelling.

    Returns:
        One :class:`VertebraMorphometry` per vertebra, from superior to
        inferior (``index`` gives the position in the input).
    """
    kps = np.asarray(keypoints, dtype=float).reshape(-1, 6, 2)
    if levels is not None and len(levels) != len(kps):
        raise ValueError(f'{len(levels)} levels for {len(kps)} vertebrae')
    if scores is not None:
        scores = np.asarray(scores, float).reshape(len(kps), 6)
        missing_mask = scores < score_thr
    else:
        missing_mask = np.zeros((len(kps), 6), bool)
    missing_mask |= ~np.isfinite(kps).all(-1)
    clean = np.where(missing_mask[..., None], np.nan, kps)
    heights = vertebral_heights(clean, spacing)
    names, ranks = None, None
    if levels is not None:
        names, all_known = _canonical_levels(levels)
        if all_known:
            ranks = column_ranks(names)
    order = _spine_order(clean, ranks)
    neighbours = _neighbours(order, ranks)

    results = []
    for i in order:
        ha, hm, hp = heights[i]
        valid_hp = np.isfinite(hp) and hp > 1e-9
        with np.errstate(invalid='ignore', divide='ignore'):
            wedge = ha / hp if valid_hp else np.nan
            bicon = hm / hp if valid_hp else np.nan
        g = _grade(heights, int(i), neighbours[int(i)])
        results.append(
            VertebraMorphometry(
                index=int(i),
                level=None if names is None else
                (names[i] if names[i] is not None else str(levels[i])),
                ha=float(ha), hm=float(hm), hp=float(hp),
                wedge_ratio=float(wedge), biconcave_ratio=float(bicon),
                crush_ratio=float(g['nb'][2]), height_loss=g['loss'],
                grade=g['grade'], fracture_type=g['ftype'],
                missing=[n for n, m in zip(KEYPOINT_NAMES, missing_mask[i])
                         if m],
                incomplete=bool(missing_mask[i].any()),
                intra_ratio=g['intra'], neighbour_ratios=g['nb']))
    return results
