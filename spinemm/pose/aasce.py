"""AASCE whole-spine AP landmark model parts for mmpose: the dataset (one
sample per film, 68 corners) and the challenge metric."""
import os.path as osp
from collections import OrderedDict

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpose.datasets.datasets.base import BaseCocoStyleDataset

from ..evaluation.aasce_metrics import evaluate_films
from ..formats import load_coco_json
from ..registry import DATASETS, METRICS

AASCE_META_FILE = osp.join(osp.dirname(osp.abspath(__file__)),
                           'aasce_meta.py')


@DATASETS.register_module()
class AasceSpineDataset(BaseCocoStyleDataset):
    """One AP film per sample: the whole spine as one instance with 68
    keypoints (17 vertebrae x 4 corners, :file:`aasce_meta.py`), its box the
    whole film, as ``tools/dataset_converters/aasce2coco.py`` writes
    ``annotations/<split>_spine.json``. A horizontal flip swaps each
    vertebra's right and left corners (the meta's swap pairs)."""

    METAINFO = dict(from_file=AASCE_META_FILE)


@METRICS.register_module()
class AasceMetric(BaseMetric):
    """SMAPE of the Cobb angles, per-angle MAE, landmark MRE and vertebra
    recall (:mod:`spinemm.evaluation.aasce_metrics`) of whole-spine
    predictions, against the published angles kept in ``ann_file``'s image
    entries (``cobb_angles``)."""

    default_prefix = 'aasce'

    def __init__(self, ann_file, collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file

    def process(self, data_batch, data_samples):
        for s in data_samples:
            self.results.append(dict(
                img_id=int(s['img_id']),
                keypoints=np.asarray(s['pred_instances']['keypoints'])[0]))

    def compute_metrics(self, results):
        coco = load_coco_json(self.ann_file)
        images = {im['id']: im for im in coco['images']}
        truth = {a['image_id']: np.asarray(a['keypoints'], float).reshape(
            -1, 3)[:, :2] for a in coco['annotations']}
        results = [r for r in results if r['img_id'] in truth]
        out, _ = evaluate_films(
            [r['keypoints'] for r in results],
            [truth[r['img_id']] for r in results],
            [images[r['img_id']]['cobb_angles'] for r in results],
            [images[r['img_id']]['height'] for r in results])
        return OrderedDict(out)
