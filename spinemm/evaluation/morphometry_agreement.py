"""Agreement of morphometry from predicted vs ground-truth keypoints.

Both keypoint sets of one image go through :func:`spinemm.morphometry
.assess_column` (same spacing, same levels), so the crush ratio sees the
same neighbours; then per vertebra: heights (Ha, Hm, Hp) absolute error in
mm, ratio (wedge, biconcave, crush) absolute error, Genant grade agreement
(accuracy, quadratic-weighted kappa) and fracture (grade >= 1) sensitivity
and specificity, with the ground-truth grade as the reference.

This is the one definition of those figures: the pose metric
(``spinemm.VertebraMorphometryMetric``) and ``tools/analysis_tools/
eval_report.py`` (report vs phantom truth, matched by box) both fill it.
The kappa is over vertebrae graded on both sides (labels 0-3); vertebrae
the prediction could not grade count in ``ungraded`` and against accuracy.
"""
from types import SimpleNamespace

import numpy as np

from ..morphometry import assess_column


class MorphometryAgreement:

    def __init__(self):
        self.rows = []  # (gt VertebraMorphometry, pred VertebraMorphometry)

    def add(self, gt_kpts, pred_kpts, spacing=1.0, levels=None,
            pred_scores=None, score_thr=0.0):
        gt = {m.index: m for m in assess_column(gt_kpts, spacing,
                                                levels=levels)}
        pred = {m.index: m for m in assess_column(
            pred_kpts, spacing, scores=pred_scores, score_thr=score_thr,
            levels=levels)}
        self.rows += [(gt[i], pred[i]) for i in sorted(gt)]

    def add_pair(self, gt, pred):
        """One matched vertebra from anywhere: ``gt`` / ``pred`` are dicts
        (or objects) with ``ha``, ``hm``, ``hp``, ``grade`` and optionally
        the three ratios; None means not measured (NaN / ungraded)."""
        def record(x):
            get = x.get if isinstance(x, dict) else (
                lambda k, d=None: getattr(x, k, d))
            num = {k: float('nan') if get(k) is None else float(get(k))
                   for k in ('ha', 'hm', 'hp', 'wedge_ratio',
                             'biconcave_ratio', 'crush_ratio')}
            grade = get('grade')
            return SimpleNamespace(**num, grade=None if grade is None
                                   else int(grade))
        self.rows.append((record(gt), record(pred)))

    def summary(self):
        from sklearn.metrics import cohen_kappa_score
        out = dict(num_vertebrae=len(self.rows))
        if not self.rows:
            return out
        for key, name in (('ha', 'Ha'), ('hm', 'Hm'), ('hp', 'Hp')):
            err = [abs(getattr(g, key) - getattr(p, key))
                   for g, p in self.rows]
            out[f'{name}_MAE_mm'] = float(np.nanmean(err))
        for key in ('wedge_ratio', 'biconcave_ratio', 'crush_ratio'):
            err = [abs(getattr(g, key) - getattr(p, key))
                   for g, p in self.rows]
            err = [e for e in err if np.isfinite(e)]
            out[f'{key}_MAE'] = float(np.mean(err)) if err else float('nan')
        graded = [(g.grade, p.grade) for g, p in self.rows
                  if g.grade is not None]
        out['ungraded'] = sum(p is None for _, p in graded)
        pairs = [(g, -1 if p is None else p) for g, p in graded]
        gt = np.array([g for g, _ in pairs])
        pr = np.array([p for _, p in pairs])
        out['grade_acc'] = float((gt == pr).mean())
        both = pr >= 0
        out['grade_kappa'] = float(cohen_kappa_score(
            gt[both], pr[both], weights='quadratic', labels=[0, 1, 2, 3])) \
            if both.any() else float('nan')
        pos, neg = gt >= 1, gt == 0
        out['fracture_sensitivity'] = float((pr[pos] >= 1).mean()) \
            if pos.any() else float('nan')
        out['fracture_specificity'] = float((pr[neg] == 0).mean()) \
            if neg.any() else float('nan')
        out['num_fractured'] = int(pos.sum())
        return out
