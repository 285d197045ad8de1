"""Scoliosis metrics of AP landmark predictions (plain numpy): the AASCE
2019 challenge's SMAPE of the three Cobb angles, per-angle MAE, landmark
mean radial error and vertebra recall.

- SMAPE (%): :func:`spinemm.morphometry.cobb.smape`, predicted angles from
  the predicted corners by the organisers' rule
  (:func:`spinemm.morphometry.cobb.cobb_angles`), true angles as published.
- MAE (degrees) per angle.
- MRE (px, in the film's own pixels): mean distance between predicted and
  true landmarks over the 68 corners.
- Vertebra recall: a vertebra is found when the mean distance of its four
  predicted corners to the true ones is below half its true height (mean of
  its two side lengths); recall = found / 17 per film, averaged.
"""
import numpy as np

from ..morphometry.cobb import ANGLE_NAMES, cobb_angles, smape


def vertebra_found(pred, true):
    """(17,) bool: mean corner error < half the true vertebral height."""
    pred = np.asarray(pred, float).reshape(-1, 4, 2)
    true = np.asarray(true, float).reshape(-1, 4, 2)
    err = np.linalg.norm(pred - true, axis=-1).mean(-1)
    height = (np.linalg.norm(true[:, 2] - true[:, 0], axis=-1) +
              np.linalg.norm(true[:, 3] - true[:, 1], axis=-1)) / 2
    return np.isfinite(err) & (err < height / 2)


def evaluate_films(pred_corners, true_corners, true_angles, heights):
    """Every AASCE metric over films.

    Args:
        pred_corners, true_corners: per film (17, 4, 2) or (68, 2) px.
        true_angles: (F, 3) degrees (the published angles).
        heights: per film the image height in px (for the angle rule).

    Returns:
        dict(SMAPE, MAE_<angle> x 3, MAE_mean, MRE_px, vertebra_recall,
        num_films) and ``per_film``: list of dict(pred_angles, smape, mre).
    """
    true_angles = np.asarray(true_angles, float).reshape(-1, 3)
    pred_angles, per_film, mres, recalls = [], [], [], []
    for p, t, a, h in zip(pred_corners, true_corners, true_angles, heights):
        p = np.asarray(p, float).reshape(-1, 2)
        t = np.asarray(t, float).reshape(-1, 2)
        try:
            ang = cobb_angles(p, h)['angles']
        except ValueError:  # NaN corners: no angle, and SMAPE says so (NaN)
            ang = np.full(3, np.nan)
        pred_angles.append(ang)
        mre = float(np.linalg.norm(p - t, axis=1).mean())
        mres.append(mre)
        recalls.append(float(vertebra_found(p, t).mean()))
        per_film.append(dict(pred_angles=ang.round(3).tolist(),
                             true_angles=a.round(3).tolist(),
                             smape=smape(ang[None], a[None]), mre_px=mre))
    pred_angles = np.asarray(pred_angles).reshape(-1, 3)
    mae = np.abs(pred_angles - true_angles).mean(0) if len(pred_angles) \
        else np.full(3, np.nan)
    out = dict(SMAPE=smape(pred_angles, true_angles),
               **{f'MAE_{n}': float(m) for n, m in zip(ANGLE_NAMES, mae)},
               MAE_mean=float(np.mean(mae)),
               MRE_px=float(np.mean(mres)) if mres else float('nan'),
               vertebra_recall=float(np.mean(recalls)) if recalls
               else float('nan'),
               num_films=len(per_film))
    return out, per_film
