"""Level accuracy of :class:`spinemm.levels.model.VertebraLevelClassifier`
on crops of the annotated vertebrae."""
import numpy as np
from mmengine.evaluator import BaseMetric

from ..registry import METRICS


@METRICS.register_module()
class LevelAccuracy(BaseMetric):
    """Over the crops of vertebrae (C2..S1): ``top1``, the fraction given
    their true level; ``within1``, within one level; ``mean_abs_levels``,
    the mean distance in levels (a vertebra called ``none`` counts as
    wrong, its distance not counted). Over the ``none`` crops:
    ``none_recall``; and ``called_none``, the fraction of vertebrae called
    ``none``."""

    default_prefix = 'level'

    def process(self, data_batch, data_samples):
        for r in data_samples:
            self.results.append((r['level'], r['true']))

    def compute_metrics(self, results):
        from .dataset import NONE
        pred, true = np.array(results, int).reshape(-1, 2).T
        v = true != NONE
        p, t = pred[v], true[v]
        d = np.abs(p - t)
        out = dict(top1=float(np.mean(d == 0)),
                   within1=float(np.mean((d <= 1) & (p != NONE))),
                   mean_abs_levels=float(d[p != NONE].mean()),
                   called_none=float(np.mean(p == NONE)))
        if (~v).any():
            out['none_recall'] = float(np.mean(pred[~v] == NONE))
        return out
