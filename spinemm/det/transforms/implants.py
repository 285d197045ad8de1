"""Fusion hardware painted onto lateral training films
(:func:`spinemm.synthesis.implants.paint_fusion`)."""
import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomImplants(BaseTransform):
    """With probability ``prob``, paint pedicle screws, a rod and cages over
    a run of ``num_levels`` consecutive vertebrae whose 4 corners are all
    visible (``gt_keypoints`` in the lateral 4-corner order, after
    ``LoadVertebraKeypoints``). Boxes, masks and keypoints are unchanged:
    the hardware lies over the anatomy. ``classes``: the label indices that
    may be instrumented (default 0, 'vertebra')."""

    def __init__(self, prob=0.3, num_levels=(2, 6), cage_prob=0.5,
                 classes=(0, )):
        self.prob, self.num_levels = float(prob), tuple(num_levels)
        self.cage_prob, self.classes = float(cage_prob), tuple(classes)

    def transform(self, results):
        if np.random.rand() >= self.prob:
            return results
        from ...synthesis.implants import paint_fusion
        kpts = np.asarray(results['gt_keypoints'], float)
        if kpts.shape[1:] != (4, 3):
            raise ValueError('RandomImplants needs the lateral 4-corner '
                             f'keypoints, got {kpts.shape[1:]}')
        labels = np.asarray(results.get('gt_bboxes_labels',
                                        np.zeros(len(kpts))))
        corners = kpts[..., :2].copy()
        usable = (kpts[..., 2] > 0).all(1) & np.isin(labels, self.classes)
        corners[~usable] = np.nan
        img = np.ascontiguousarray(results['img'])
        paint_fusion(img, corners, np.random, self.num_levels,
                     self.cage_prob)
        results['img'] = img
        return results
