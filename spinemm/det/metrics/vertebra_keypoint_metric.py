"""Keypoint metrics of the vertebra detector, run by ``tools/test.py``.

Reported (prefix ``vertebra``): keypoint AP / AP50 / AP75 by OKS
(xtcocotools ``COCOeval`` with :data:`spinemm.anatomy.OKS_SIGMAS`), PCK at
0.05 and 0.1 of the box diagonal, PCK at 2 and 4 mm where images carry
``pixel_spacing``, AUC and EPE (px, mm), with the number of ground-truth
vertebrae and how many were missed (see
:mod:`spinemm.evaluation.keypoint_matching` for matching and normalisation).
Box and mask AP come from mmdet's ``CocoMetric`` in the same evaluator.

``keypoints_from='mask'`` scores keypoints derived from each predicted mask
(SpineKey's method, :func:`spinemm.evaluation.keypoints_from_mask`) instead
of the keypoint head: the baseline the head must beat.
"""
import os.path as osp
from collections import OrderedDict

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ...anatomy import OKS_SIGMAS
from ...evaluation import KeypointAccumulator, keypoints_from_mask
from ...formats import load_coco_json
from ...registry import METRICS
from ...utils import atomic_write_json


@METRICS.register_module()
class VertebraKeypointMetric(BaseMetric):
    """Args:
        ann_file: the COCO vertebra json of the evaluated split.
        keypoints_from: ``'head'`` (predicted keypoints) or ``'mask'``.
        iou_thr: box IoU for a prediction to match a ground-truth vertebra.
        score_thr: predictions below are dropped before matching.
        outfile_prefix: also write ``<prefix>.keypoints.json`` (per image,
            SpineKey's ``{level: points}`` for predictions and ground truth,
            plus the IoU matches) and ``<prefix>.bbox.json`` (COCO detection
            results: mmpose top-down testing reads it as ``bbox_file``).
    """

    default_prefix = 'vertebra'

    def __init__(self, ann_file, keypoints_from='head', iou_thr=0.5,
                 score_thr=0.05, sigmas=OKS_SIGMAS, outfile_prefix=None,
                 collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if keypoints_from not in ('head', 'mask'):
            raise ValueError("keypoints_from is 'head' or 'mask', not "
                             f'{keypoints_from!r}')
        self.ann_file = ann_file
        self.keypoints_from = keypoints_from
        self.iou_thr = iou_thr
        self.score_thr = score_thr
        self.sigmas = np.asarray(sigmas, float)
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            pred = sample['pred_instances']
            keep = (pred['scores'] >= self.score_thr).cpu().numpy()
            boxes = pred['bboxes'].cpu().numpy()[keep]
            if self.keypoints_from == 'head':
                if 'keypoints' not in pred:
                    raise KeyError('predictions have no keypoints: use a '
                                   "keypoint head or keypoints_from='mask'")
                kpts = pred['keypoints'].cpu().numpy()[keep]
            else:
                masks = pred['masks'].cpu().numpy()[keep]
                facing = sample.get('facing', 'left')
                kpts = np.zeros((len(masks), len(self.sigmas), 2))
                for i, m in enumerate(masks):
                    k = keypoints_from_mask(m, facing)
                    kpts[i] = np.nan if k is None else k
            self.results.append(dict(
                img_id=sample['img_id'], boxes=boxes,
                scores=pred['scores'].cpu().numpy()[keep],
                labels=pred['labels'].cpu().numpy()[keep], keypoints=kpts))

    def compute_metrics(self, results):
        logger = MMLogger.get_current_instance()
        coco = load_coco_json(self.ann_file)
        images = {im['id']: im for im in coco['images']}
        anns = {}
        for a in coco['annotations']:
            if not a.get('iscrowd', 0):
                anns.setdefault(a['image_id'], []).append(a)
        cats = {c['id']: c['name'] for c in coco['categories']}
        acc = KeypointAccumulator(self.iou_thr)
        dt, per_image, bbox_file = [], {}, []
        for r in results:
            img = images[r['img_id']]
            gts = anns.get(r['img_id'], [])
            gt_boxes = np.array([[x, y, x + w, y + h]
                                 for x, y, w, h in (a['bbox'] for a in gts)],
                                float).reshape(-1, 4)
            gt_kpts = np.array([a['keypoints'] for a in gts],
                               float).reshape(len(gts), len(self.sigmas), 3)
            match = acc.add(r['boxes'], r['scores'], r['keypoints'],
                            gt_boxes, gt_kpts, img.get('pixel_spacing'))
            for box, score, label, kp in zip(r['boxes'], r['scores'],
                                             r['labels'], r['keypoints']):
                if np.isnan(kp).any():
                    continue
                flat = np.concatenate([kp, np.ones((len(kp), 1))], 1)
                x1, y1, x2, y2 = box.tolist()
                dt.append(dict(image_id=r['img_id'], category_id=1,
                               keypoints=flat.ravel().tolist(),
                               score=float(score)))
                bbox_file.append(dict(image_id=r['img_id'], category_id=1,
                                      bbox=[x1, y1, x2 - x1, y2 - y1],
                                      score=float(score)))
            per_image[img['file_name']] = _spinekey_record(
                r, gts, match, cats)
        metrics = OrderedDict()
        metrics.update(self._oks_ap(coco, dt))
        metrics.update(acc.summary())
        if acc.num_missed:
            logger.info(f'{acc.num_missed} of {acc.num_gt} ground-truth '
                        f'vertebrae have no prediction with IoU >= '
                        f'{self.iou_thr}: they count as wrong in PCK/AUC')
        if self.outfile_prefix:
            atomic_write_json(f'{self.outfile_prefix}.keypoints.json',
                              per_image)
            atomic_write_json(f'{self.outfile_prefix}.bbox.json', bbox_file)
            logger.info(f'keypoints and matches written to '
                        f'{osp.abspath(self.outfile_prefix)}.keypoints.json')
        return metrics

    def _oks_ap(self, coco, dt):
        """Keypoint AP by OKS with xtcocotools (one 'vertebra' category)."""
        import contextlib
        import io

        from xtcocotools.coco import COCO
        from xtcocotools.cocoeval import COCOeval
        gt = dict(coco, categories=[dict(coco['categories'][0], id=1)],
                  annotations=[dict(a, category_id=1)
                               for a in coco['annotations']])
        if not dt:
            return dict(kpt_AP=0.0, kpt_AP50=0.0, kpt_AP75=0.0)
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO()
            coco_gt.dataset = gt
            coco_gt.createIndex()
            coco_dt = coco_gt.loadRes(dt)
            ev = COCOeval(coco_gt, coco_dt, 'keypoints', self.sigmas,
                          use_area=True)
            ev.params.imgIds = sorted({d['image_id'] for d in dt} |
                                      {a['image_id']
                                       for a in gt['annotations']})
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        return dict(kpt_AP=float(ev.stats[0]), kpt_AP50=float(ev.stats[1]),
                    kpt_AP75=float(ev.stats[2]))


def _spinekey_record(result, gts, match, cats):
    """SpineKey's per-image form: ``{level: points}`` for predictions and
    ground truth, and the IoU matches. Predictions are named by their class
    when classes are levels, else ``v1, v2, ...`` from the top of the image;
    a name that repeats gets a ``#2`` suffix."""
    classes = [cats.get(int(label) + 1, 'vertebra')
               for label in result['labels']]
    per_level = any(c != 'vertebra' for c in classes)
    order = np.argsort([b[1] for b in result['boxes']], kind='stable')
    names, pred = {}, {}
    for rank, j in enumerate(order):
        name = classes[j] if per_level else f'v{rank + 1}'
        while name in pred:
            name += '#2'
        names[j] = name
        pred[name] = np.round(result['keypoints'][j], 2).tolist()
    gt_names = [a.get('level', f'gt{g + 1}') for g, a in enumerate(gts)]
    gt = {n: np.round(np.array(a['keypoints']).reshape(-1, 3)[:, :2],
                      2).tolist() for n, a in zip(gt_names, gts)}
    matched, iou = match
    return dict(pred=pred, gt=gt, matches=[
        dict(gt=gt_names[g], pred=names.get(int(p)), iou=round(float(i), 4))
        for g, (p, i) in enumerate(zip(matched, iou))])
