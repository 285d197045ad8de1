"""Genant semi-quantitative grading of a column of vertebrae.

For each vertebra, with Ha, Hm, Hp its anterior, middle and posterior heights:

- wedge ratio      = Ha / Hp
- biconcave ratio  = Hm / Hp
- crush ratio      = Hp / mean(Hp of the adjacent vertebrae)
- height loss      = 1 - min(ratios), never below 0
- grade            = 0 (< 20 %), 1 (20-25 %), 2 (25-40 %), 3 (>= 40 %)
- type             = the deformity whose ratio is the minimum (grade >= 1 only)

Edge cases, as defined here:

- *ends of the column / gaps*: a vertebra's neighbours are the vertebrae next
  to it along the spine; when levels are known, only those one level away
  (a missing level leaves a gap). Without a neighbour the crush ratio is not
  computed (NaN) and the grade rests on the other two ratios.
- *missing or low-score keypoints*: heights that need the point are NaN, and so
  are the ratios that use them; the grade rests on the ratios that remain and
  ``incomplete`` is set. With no ratio left the grade is ``None``.
- *degenerate geometry*: a zero or non-finite posterior height (coincident
  points) makes every ratio of that vertebra NaN and its grade ``None``.
- *orientation*: keypoint names are anatomical, so a mirrored image gives the
  same heights, ratios and grades.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np

from ..anatomy import FRACTURE_TYPES, KEYPOINT_NAMES, LEVELS, genant_grade
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


def _spine_order(keypoints, level_index):
    """Indices from superior to inferior."""
    if level_index is not None:
        return np.argsort(level_index, kind='stable')
    centres = np.nanmean(keypoints, axis=1)  # (N, 2)
    if len(centres) < 2 or not np.isfinite(centres).all():
        return np.argsort(centres[:, 1], kind='stable')
    # project on the column's main axis, pointing up the image (superior)
    d = centres - centres.mean(0)
    axis = np.linalg.svd(d, full_matrices=False)[2][0]
    if axis[1] > 0:
        axis = -axis
    return np.argsort(-(d @ axis), kind='stable')


def _neighbours(order, level_index):
    """For each input index, the indices of its adjacent vertebrae."""
    result = {int(i): [] for i in order}
    for a, b in zip(order[:-1], order[1:]):
        if level_index is not None and \
                abs(level_index[a] - level_index[b]) != 1:
            continue  # a missing level between them
        result[int(a)].append(int(b))
        result[int(b)].append(int(a))
    return result


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
        levels: optional level names (C1..S1) of the N vertebrae.

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
    # position of each vertebra in LEVELS, when every level is a known name
    level_index = None
    if levels is not None and all(lv in LEVELS for lv in levels):
        level_index = [LEVELS.index(lv) for lv in levels]
    order = _spine_order(clean, level_index)
    neighbours = _neighbours(order, level_index)

    results = []
    for i in order:
        ha, hm, hp = heights[i]
        valid_hp = np.isfinite(hp) and hp > 1e-9
        with np.errstate(invalid='ignore', divide='ignore'):
            wedge = ha / hp if valid_hp else np.nan
            bicon = hm / hp if valid_hp else np.nan
            nb = [heights[j, 2] for j in neighbours[int(i)]
                  if np.isfinite(heights[j, 2]) and heights[j, 2] > 1e-9]
            crush = hp / np.mean(nb) if nb and valid_hp else np.nan
        ratios = np.array([wedge, bicon, crush])
        if np.isfinite(ratios).any():
            k = int(np.nanargmin(ratios))
            loss = max(0.0, 1.0 - float(ratios[k]))
            grade = genant_grade(loss)
            ftype = FRACTURE_TYPES[k] if grade else None
        else:
            loss, grade, ftype = None, None, None
        results.append(
            VertebraMorphometry(
                index=int(i),
                level=None if levels is None else levels[i],
                ha=float(ha), hm=float(hm), hp=float(hp),
                wedge_ratio=float(wedge), biconcave_ratio=float(bicon),
                crush_ratio=float(crush), height_loss=loss, grade=grade,
                fracture_type=ftype,
                missing=[n for n, m in zip(KEYPOINT_NAMES, missing_mask[i])
                         if m],
                incomplete=bool(missing_mask[i].any())))
    return results
