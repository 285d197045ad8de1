"""mmengine metrics of the two RSNA fracture stages."""
import numpy as np
from mmengine.evaluator import BaseMetric

from ..formats.rsna import RSNA_VERTEBRAE
from ..registry import METRICS
from .scoring import LABELS, fracture_report


def _copy(x):
    """A float64 numpy copy, detached from the batch's tensors."""
    return np.array(x.detach().cpu() if hasattr(x, 'detach') else x,
                    dtype=np.float64, copy=True)


def box_iou(a, b):
    """IoU of (N, 4) x0, y0, x1, y1 boxes, row by row (numpy)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]),
                0, None)
    h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]),
                0, None)
    inter = w * h

    def area(x):
        return np.clip(x[:, 2] - x[:, 0], 0, None) * \
            np.clip(x[:, 3] - x[:, 1], 0, None)

    return inter / np.maximum(area(a) + area(b) - inter, 1e-12)


@METRICS.register_module()
class RsnaSliceMetric(BaseMetric):
    """Stage 1: visible-ratio MAE per vertebra (and their mean) over all
    slices, and the mean C1-C7 box IoU over the slices that show C1-C7.
    (IoU does not change when both axes are scaled, so normalised boxes give
    the pixel IoU.)"""

    default_prefix = 'rsna_slice'

    def process(self, data_batch, data_samples):
        for s in data_samples:
            self.results.append(dict(
                pred_ratios=_copy(s['pred_ratios']),
                gt_ratios=_copy(s['gt_ratios']),
                pred_box=_copy(s['pred_box']),
                gt_box=_copy(s['gt_box']),
                box_valid=float(s['box_valid'])))

    def compute_metrics(self, results):
        pr = np.stack([r['pred_ratios'] for r in results])
        gt = np.stack([r['gt_ratios'] for r in results])
        mae = np.abs(pr - gt).mean(0)
        out = {f'ratio_mae/{c}': float(m) for c, m in zip(RSNA_VERTEBRAE, mae)}
        out['ratio_mae'] = float(mae.mean())
        valid = np.array([r['box_valid'] for r in results]) > 0
        if valid.any():
            iou = box_iou(np.stack([r['pred_box'] for r in results])[valid],
                          np.stack([r['gt_box'] for r in results])[valid])
            out['box_iou'] = float(iou.mean())
        return out


@METRICS.register_module()
class RsnaFractureMetric(BaseMetric):
    """Stage 2: the competition's weighted log loss over studies, AUC and
    sensitivity / specificity at ``threshold`` per label
    (``spinemm.fracture.scoring.fracture_report``)."""

    default_prefix = 'rsna'

    def __init__(self, threshold=0.5, **kwargs):
        super().__init__(**kwargs)
        self.threshold = threshold

    def process(self, data_batch, data_samples):
        for s in data_samples:
            self.results.append(dict(uid=s['uid'],
                                     probs=_copy(s['pred_probs']),
                                     labels=_copy(s['gt_labels'])))

    def compute_metrics(self, results):
        y = np.stack([r['labels'] for r in results]).astype(int)
        p = np.stack([r['probs'] for r in results])
        rep = fracture_report(y, p, self.threshold)
        out = {'weighted_log_loss': rep['weighted_log_loss']}
        for name in LABELS:
            for kind in ('auc', 'sensitivity', 'specificity'):
                v = rep[f'{kind}/{name}']
                if np.isfinite(v):
                    out[f'{kind}/{name}'] = v
        return out
