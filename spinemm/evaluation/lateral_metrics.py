"""Metrics of lateral-film predictions against truth columns (plain numpy).

Per film, truth and prediction are columns ``{level: (4, 2)}`` (the lateral
4-corner scheme; C2 with its inferior endplate, S1 with its superior one).

- **vertebra recall**: a true vertebra C3..L5 is found when some predicted
  vertebra, whatever level it was given, has a mean corner distance to it
  below half its true height (the mean of its anterior and posterior
  sides); each prediction is matched once (nearest first);
- **MRE** (px, the film's own pixels): mean corner distance over the found
  vertebrae;
- **level accuracy**: of the found vertebrae, the fraction given their true
  level; ``films_all_levels_right``: films whose found vertebrae all are;
- **endplates** of C2 (inferior) and S1 (superior): found when both
  corners lie within half of C3's / L5's height; their corner error;
- **angles**: the sagittal parameters of
  :func:`spinemm.morphometry.sagittal.sagittal_alignment` from the
  predicted column (its own levels) against the truth; MAE over the films
  where both are numbers, and how many the prediction missed;
- **Genant agreement**: of the levels T4-L4 graded in both, the fraction
  with the same grade.
"""
import numpy as np

from ..morphometry.lateral_levels import VERTEBRA_LEVELS
from ..morphometry.sagittal import genant_column, sagittal_alignment

#: the angles scored (degrees)
ANGLES = ('cervical_lordosis_C2_C7', 'thoracic_kyphosis_T4_T12',
          'thoracic_kyphosis_T1_T12', 'lumbar_lordosis_L1_S1', 'T1_slope')


def _height(c):
    return (np.linalg.norm(c[2] - c[0]) + np.linalg.norm(c[3] - c[1])) / 2


def match_vertebrae(pred, truth):
    """``{true level: (pred level, mean corner error px)}`` for the true
    vertebrae C3..L5 found (see the module docstring)."""
    pairs = []
    preds = [(lv, np.asarray(c, float)) for lv, c in pred.items()
             if lv in VERTEBRA_LEVELS and np.isfinite(c).all()]
    for tl in VERTEBRA_LEVELS:
        t = np.asarray(truth.get(tl, np.full((4, 2), np.nan)), float)
        if not np.isfinite(t).all():
            continue
        for pl, p in preds:
            err = float(np.linalg.norm(p - t, axis=1).mean())
            if err < _height(t) / 2:
                pairs.append((err, tl, pl))
    out, used = {}, set()
    for err, tl, pl in sorted(pairs):
        if tl not in out and pl not in used:
            out[tl] = (pl, err)
            used.add(pl)
    return out


def _endplate(pred, truth, level, neighbour):
    idx = [2, 3] if level == 'C2' else [0, 1]
    t = np.asarray(truth.get(level, np.full((4, 2), np.nan)), float)[idx]
    nb = np.asarray(truth.get(neighbour, np.full((4, 2), np.nan)), float)
    if not np.isfinite(t).all():
        return None
    p = np.asarray(pred.get(level, np.full((4, 2), np.nan)), float)[idx]
    err = float(np.linalg.norm(p - t, axis=1).mean())
    limit = _height(nb) / 2 if np.isfinite(nb).all() else np.inf
    return dict(found=bool(np.isfinite(err) and err < limit),
                error_px=err if np.isfinite(err) else None)


def film_metrics(pred, truth, withheld=()):
    """The metrics of one film (a dict; angles under ``angles``).
    ``withheld``: angles the model declined to measure (counted missed)."""
    m = match_vertebrae(pred, truth)
    n_true = sum(np.isfinite(np.asarray(truth[lv], float)).all()
                 for lv in VERTEBRA_LEVELS if lv in truth)
    right = sum(pl == tl for tl, (pl, _) in m.items())
    pa, ta = sagittal_alignment(pred), sagittal_alignment(truth)
    pa.update({k: float('nan') for k in withheld})
    gp = {g['level']: g['grade'] for g in genant_column(pred)
          if g['grade'] != 'not graded'}
    gt = {g['level']: g['grade'] for g in genant_column(truth)
          if g['grade'] != 'not graded'}
    both = sorted(set(gp) & set(gt))
    return dict(
        num_true=int(n_true), num_found=len(m), num_level_right=int(right),
        corner_errors=[e for _, e in m.values()],
        C2=_endplate(pred, truth, 'C2', 'C3'),
        S1=_endplate(pred, truth, 'S1', 'L5'),
        angles={k: dict(pred=pa[k], true=ta[k]) for k in ANGLES},
        genant=dict(levels=len(both),
                    same=sum(gp[lv] == gt[lv] for lv in both)))


def _mean(x):
    x = [v for v in x if v is not None and np.isfinite(v)]
    return float(np.mean(x)) if x else float('nan')


def summarize(per_film, median_angles=None):
    """Metrics over films. ``median_angles`` (``{angle: degrees}``, the
    training films' medians): the MAE of always answering them, the floor a
    model must beat, is reported beside each angle."""
    out = dict(num_films=len(per_film))
    found = sum(f['num_found'] for f in per_film)
    out['vertebra_recall'] = found / max(sum(f['num_true']
                                             for f in per_film), 1)
    out['MRE_px'] = _mean([e for f in per_film for e in f['corner_errors']])
    out['level_accuracy'] = sum(f['num_level_right']
                                for f in per_film) / max(found, 1)
    out['films_all_levels_right'] = sum(
        f['num_level_right'] == f['num_found'] for f in per_film)
    for lv in ('C2', 'S1'):
        rows = [f[lv] for f in per_film if f[lv] is not None]
        out[f'{lv}_endplate_found'] = _mean([r['found'] for r in rows])
        out[f'{lv}_endplate_error_px'] = _mean([r['error_px'] for r in rows
                                                if r['found']])
    for k in ANGLES:
        pairs = [(f['angles'][k]['pred'], f['angles'][k]['true'])
                 for f in per_film if np.isfinite(f['angles'][k]['true'])]
        ok = [(p, t) for p, t in pairs if np.isfinite(p)]
        out[f'MAE_{k}'] = _mean([abs(p - t) for p, t in ok])
        out[f'missed_{k}'] = len(pairs) - len(ok)
        if median_angles is not None and k in median_angles:
            out[f'MAE_{k}_median_floor'] = _mean(
                [abs(median_angles[k] - t) for _, t in pairs])
    g = [f['genant'] for f in per_film]
    out['genant_agreement'] = sum(x['same'] for x in g) / max(
        sum(x['levels'] for x in g), 1)
    return out
