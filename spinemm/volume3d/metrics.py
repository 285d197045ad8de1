"""Dice on validation patches of a 3D segmentor, pooled over patches."""
import numpy as np
from mmengine.evaluator import BaseMetric

from ..registry import METRICS


@METRICS.register_module()
class PatchDiceMetric(BaseMetric):
    """Per-class Dice with intersections and sizes summed over every
    validation patch (so a class is scored on all its voxels, not averaged
    patch by patch). Returns ``dice`` (mean over the foreground classes that
    occur in the truth), ``fg_dice`` (any vertebra vs background) and
    ``dice_<class>`` for each class present."""

    default_prefix = 'patch'

    def process(self, data_batch, data_samples):
        for s in data_samples:  # the evaluator hands them over as dicts
            pred = s['pred_seg_map'].cpu().numpy().astype(np.int64)
            gt = s['gt_seg_map'].cpu().numpy().astype(np.int64)
            k = int(max(pred.max(), gt.max())) + 1
            inter = np.bincount(gt[pred == gt].ravel(), minlength=k)
            self.results.append(dict(
                inter=inter, pred=np.bincount(pred.ravel(), minlength=k),
                gt=np.bincount(gt.ravel(), minlength=k),
                fg=(np.logical_and(pred > 0, gt > 0).sum(),
                    (pred > 0).sum(), (gt > 0).sum()),
                classes=s.get('classes')))

    def compute_metrics(self, results):
        k = max(len(r['inter']) for r in results)

        def total(key):
            return sum(np.pad(r[key], (0, k - len(r[key]))) for r in results)
        inter, pred, gt = total('inter'), total('pred'), total('gt')
        classes = results[0]['classes'] or [str(i) for i in range(k)]
        out = {}
        dices = []
        for c in range(1, k):
            if gt[c] == 0:
                continue
            d = 2.0 * inter[c] / (pred[c] + gt[c])
            dices.append(d)
            name = classes[c] if c < len(classes) else str(c)
            out[f'dice_{name}'] = float(d)
        fi, fp, fg = (sum(r['fg'][i] for r in results) for i in range(3))
        out['fg_dice'] = float(2.0 * fi / (fp + fg)) if fp + fg else 1.0
        out['dice'] = float(np.mean(dices)) if dices else float('nan')
        return out
