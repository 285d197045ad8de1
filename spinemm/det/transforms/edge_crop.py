"""A crop that keeps the top or the bottom of a full-spine film: what a
cervical-only or lumbar-only film shows."""
import numpy as np
from mmcv.transforms.utils import cache_randomness
from mmdet.datasets.transforms import RandomCrop

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomEdgeCrop(RandomCrop):
    """mmdet's ``RandomCrop`` (same sizes, box / mask / ignore handling and
    recorded ``homography_matrix``, so ``spinemm.WithKeypoints`` moves the
    corners with it) whose window touches the film's top or bottom edge,
    each with probability ``(1 - mid_prob) / 2``, or lies anywhere with
    ``mid_prob``. A full-spine film cut at its top keeps C2, at its bottom
    the sacrum: the anchors a cervical or a lumbar film shows and that its
    levels are counted from (a uniformly placed window mostly shows the
    thoracic spine with neither)."""

    def __init__(self, *args, mid_prob=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.mid_prob = float(mid_prob)

    @cache_randomness
    def _rand_offset(self, margin):
        margin_h, margin_w = margin
        u = np.random.rand()
        if u < self.mid_prob:
            offset_h = np.random.randint(0, margin_h + 1)
        elif u < (1 + self.mid_prob) / 2:
            offset_h = 0
        else:
            offset_h = margin_h
        return offset_h, np.random.randint(0, margin_w + 1)
