"""Vertebra keypoint accuracy: IoU matching, PCK, EPE, AUC (plain numpy).

Predicted vertebrae are matched one-to-one to ground-truth vertebrae of the
same image greedily by score (highest first), each taking the unmatched
ground truth of highest box IoU if that IoU >= ``iou_thr`` (0.5, SpineKey's
``--iou_threshold``). A ground-truth vertebra left unmatched is a *miss*:
each of its visible keypoints counts as wrong in every PCK and in the AUC,
it is excluded from the EPE (an error without a prediction has no size) and
misses are reported as a count, never dropped silently. A matched prediction
whose keypoint is NaN (e.g. a mask that yields no keypoints) counts as a miss
for that keypoint. Predictions left unmatched are false positives
(``num_false_positive``). An image without predictions or without ground
truth is scored like any other (every true vertebra missed / every
prediction a false positive).

Normalisation: PCK@a counts errors below ``a`` times the diagonal of the
ground-truth box, per keypoint type, then averages the six types (mmpose's
``keypoint_pck_accuracy`` convention, strict ``<``); PCK@t mm uses the
image's pixel spacing. AUC is the area
under PCK(a) for a in [0, 0.1] (the normalised threshold), divided by 0.1,
sampled at 20 evenly spaced thresholds (mmpose's ``keypoint_auc`` scheme
with a per-vertebra normaliser), so 1.0 is perfect.
"""
import numpy as np


def box_iou(a, b):
    """IoU of (N, 4) and (M, 4) xyxy boxes -> (N, M)."""
    a = np.asarray(a, float).reshape(-1, 4)
    b = np.asarray(b, float).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clip(0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clip(0).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter),
                     where=union > 0)


def match_by_iou(pred_boxes, pred_scores, gt_boxes, iou_thr=0.5):
    """Greedy one-to-one matching; returns (G,) index of the matched
    prediction per ground truth, -1 for a miss, and the (G,) IoUs."""
    iou = box_iou(pred_boxes, gt_boxes)
    match = np.full(len(gt_boxes), -1)
    best = np.zeros(len(gt_boxes))
    for p in np.argsort(-np.asarray(pred_scores), kind='stable'):
        if not len(gt_boxes):
            break
        cand = np.where(match < 0, iou[p], -1.0)
        g = int(np.argmax(cand))
        if cand[g] >= iou_thr:
            match[g] = p
            best[g] = iou[p, g]
    return match, best


class KeypointAccumulator:
    """Collects matched keypoint errors over images, then summarises."""

    def __init__(self, iou_thr=0.5, pck_thrs=(0.05, 0.1),
                 mm_thrs=(2.0, 4.0), auc_max=0.1, auc_steps=20):
        self.iou_thr = iou_thr
        self.pck_thrs = tuple(pck_thrs)
        self.mm_thrs = tuple(mm_thrs)
        self.auc_thrs = np.arange(auc_steps) / auc_steps * auc_max
        self.norm_err = []  # (keypoint type, error / diagonal); inf = miss
        self.px_err = []  # matched only
        self.mm_err = []  # matched only, images with spacing
        self.mm_miss = 0  # visible keypoints of misses on images w/ spacing
        self.num_gt = 0
        self.num_missed = 0
        self.num_pred = 0
        self.num_false_positive = 0
        self.num_nan_keypoints = 0  # matched, but the keypoint is NaN
        self.matches = []  # per image: list of (gt index, pred index, iou)

    def add(self, pred_boxes, pred_scores, pred_kpts, gt_boxes, gt_kpts,
            spacing=None):
        """One image. Boxes xyxy; pred_kpts (P, K, 2); gt_kpts (G, K, 3).
        Returns the matching (:func:`match_by_iou`)."""
        gt_boxes = np.asarray(gt_boxes, float).reshape(-1, 4)
        pred_boxes = np.asarray(pred_boxes, float).reshape(-1, 4)
        gt_kpts = np.asarray(gt_kpts, float)
        pred_kpts = np.asarray(pred_kpts, float)
        k = gt_kpts.shape[1] if gt_kpts.ndim == 3 else (
            pred_kpts.shape[1] if pred_kpts.ndim == 3 else 0)
        gt_kpts = gt_kpts.reshape(len(gt_boxes), k, 3)
        pred_kpts = pred_kpts.reshape(len(pred_boxes), k, 2)
        match, iou = match_by_iou(pred_boxes, pred_scores, gt_boxes,
                                  self.iou_thr)
        self.num_pred += len(pred_boxes)
        self.num_false_positive += len(pred_boxes) - int((match >= 0).sum())
        self.matches.append([(g, int(p), float(i))
                             for g, (p, i) in enumerate(zip(match, iou))])
        diag = np.hypot(gt_boxes[:, 2] - gt_boxes[:, 0],
                        gt_boxes[:, 3] - gt_boxes[:, 1])
        self.num_gt += len(gt_boxes)
        for g, p in enumerate(match):
            vis = gt_kpts[g, :, 2] > 0
            if p < 0:
                self.num_missed += 1
                self.norm_err += [(k, np.inf) for k in np.nonzero(vis)[0]]
                if spacing is not None:
                    self.mm_miss += int(vis.sum())
                continue
            d = pred_kpts[p] - gt_kpts[g, :, :2]
            found = vis & np.isfinite(d).all(1)  # NaN prediction: missed
            lost = vis & ~found
            self.num_nan_keypoints += int(lost.sum())
            err = np.hypot(d[:, 0], d[:, 1])[found]
            self.px_err += err.tolist()
            self.norm_err += list(zip(np.nonzero(found)[0],
                                      err / max(diag[g], 1e-6)))
            self.norm_err += [(k, np.inf) for k in np.nonzero(lost)[0]]
            if spacing is not None:
                sr, sc = spacing  # mm per row, per column
                mm = np.hypot(d[:, 0] * sc, d[:, 1] * sr)[found]
                self.mm_err += mm.tolist()
                self.mm_miss += int(lost.sum())
        return match, iou

    def _pck(self, thr):
        """Mean over keypoint types of the fraction with error < thr."""
        if not self.norm_err:
            return float('nan')
        kind = np.array([k for k, _ in self.norm_err])
        err = np.array([e for _, e in self.norm_err], float)
        return float(np.mean([(err[kind == k] < thr).mean()
                              for k in np.unique(kind)]))

    def summary(self):
        out = dict(num_gt=self.num_gt, num_missed=self.num_missed,
                   num_pred=self.num_pred,
                   num_false_positive=self.num_false_positive,
                   num_nan_keypoints=self.num_nan_keypoints,
                   num_keypoints=len(self.norm_err))
        for a in self.pck_thrs:
            out[f'PCK@{a:g}'] = self._pck(a)
        out['AUC'] = float(np.mean([self._pck(t) for t in self.auc_thrs]))
        out['EPE_px'] = float(np.mean(self.px_err)) if self.px_err \
            else float('nan')
        if self.mm_err or self.mm_miss:
            mm = np.asarray(self.mm_err, float)
            total = mm.size + self.mm_miss
            for t in self.mm_thrs:
                out[f'PCK@{t:g}mm'] = float((mm < t).sum() / total)
            out['EPE_mm'] = float(mm.mean()) if mm.size else float('nan')
        return out
