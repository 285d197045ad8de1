"""Morphometry agreement as an mmengine metric for top-down pose models."""
from collections import OrderedDict

import numpy as np
from mmengine.evaluator import BaseMetric

from ..evaluation.morphometry_agreement import MorphometryAgreement
from ..formats import load_coco_json
from ..registry import METRICS


@METRICS.register_module()
class VertebraMorphometryMetric(BaseMetric):
    """Heights (mm), ratios and Genant grades from predicted keypoints vs
    the ground truth's, per image column (see
    :mod:`spinemm.evaluation.morphometry_agreement`). Samples are matched to
    ground-truth annotations by id, i.e. the dataset uses ground-truth boxes;
    images with a vertebra that was not predicted are skipped (counted).
    Spacing comes from the image's ``pixel_spacing`` (else 1: pixels)."""

    default_prefix = 'morph'

    def __init__(self, ann_file, score_thr=0.0, collect_device='cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.score_thr = score_thr

    def process(self, data_batch, data_samples):
        for s in data_samples:
            pred = s['pred_instances']
            self.results.append(dict(
                id=int(s['id']), img_id=int(s['img_id']),
                keypoints=np.asarray(pred['keypoints'])[0],
                scores=np.asarray(pred['keypoint_scores'])[0]))

    def compute_metrics(self, results):
        coco = load_coco_json(self.ann_file)
        images = {im['id']: im for im in coco['images']}
        by_id = {r['id']: r for r in results}
        per_image = {}
        for a in coco['annotations']:
            per_image.setdefault(a['image_id'], []).append(a)
        agree = MorphometryAgreement()
        skipped = 0
        for img_id in sorted({r['img_id'] for r in results}):
            anns = per_image.get(img_id, [])
            if not anns or any(a['id'] not in by_id for a in anns):
                skipped += 1
                continue
            gt = np.array([a['keypoints'] for a in anns]).reshape(-1, 6, 3)
            pred = np.stack([by_id[a['id']]['keypoints'] for a in anns])
            scores = np.stack([by_id[a['id']]['scores'] for a in anns])
            levels = [a.get('level') for a in anns]
            agree.add(gt[..., :2], pred,
                      images[img_id].get('pixel_spacing', 1.0),
                      levels if all(levels) else None, scores,
                      self.score_thr)
        out = OrderedDict(agree.summary())
        out['images_skipped'] = skipped
        return out
