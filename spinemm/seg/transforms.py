"""Dourthe et al.'s on-the-fly augmentation, each step with probability 0.5:

* rotation by up to +-5 degrees;
* "warping": each axis shrunk independently to 80-100 % of its size, then
  zero-padded back to the original size;
* a square crop of 0.5-0.8 of the shorter side, resized back to full size.

Images are interpolated linearly, label maps by nearest neighbour; areas
that come from outside the image are 0 (background). The chosen steps are
composed into one affine map, so each image and label map is resampled
once, however many steps apply (not blurred by up to three interpolations);
what an intermediate step pushes out of the frame stays zero, as when the
steps are applied one by one.
"""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from ..registry import TRANSFORMS


def _warp(arr, m, size, nearest):
    return cv2.warpAffine(arr, m, size, flags=cv2.INTER_NEAREST if nearest
                          else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _masked(arr, inside):
    return arr * (inside if arr.ndim == 2 else inside[..., None])


@TRANSFORMS.register_module()
class DourtheAugment(BaseTransform):

    def __init__(self, prob=0.5, max_rotate=5.0, warp_range=(0.8, 1.0),
                 crop_range=(0.5, 0.8), seed=None):
        self.prob = prob
        self.max_rotate = max_rotate
        self.warp_range = warp_range
        self.crop_range = crop_range
        self.rng = np.random.default_rng(seed) if seed is not None else None

    def transform(self, results):
        rng = self.rng or np.random.default_rng(np.random.randint(2**31))
        img = results['img']
        fields = results.get('seg_fields', [])
        h, w = img.shape[:2]
        steps = []
        if rng.random() < self.prob:
            angle = rng.uniform(-self.max_rotate, self.max_rotate)
            m = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), angle,
                                        1.0)
            steps.append(('rotate', m))
        if rng.random() < self.prob:
            sx, sy = rng.uniform(*self.warp_range, 2)
            steps.append(('warp', np.float64([[sx, 0, 0], [0, sy, 0]])))
        if rng.random() < self.prob:
            side = rng.uniform(*self.crop_range) * min(h, w)
            x0 = rng.uniform(0, w - side)
            y0 = rng.uniform(0, h - side)
            sx, sy = w / side, h / side
            steps.append(('crop', np.float64([[sx, 0, -x0 * sx],
                                              [0, sy, -y0 * sy]])))
        if steps:
            total = np.eye(3)
            inside = np.ones((h, w), np.uint8)
            for _, m in steps:  # later steps act on the earlier ones' output
                total = np.vstack([m, [0, 0, 1]]) @ total
                # what a step pushes out of the frame stays lost (zero), as
                # when the steps are applied one by one
                inside = _warp(inside, m, (w, h), nearest=True)
            img = _masked(_warp(img, total[:2], (w, h), nearest=False),
                          inside)
            for key in fields:
                results[key] = _masked(_warp(results[key], total[:2], (w, h),
                                             nearest=True), inside)
        results['img'] = img
        results['dourthe_steps'] = [name for name, _ in steps]
        return results
