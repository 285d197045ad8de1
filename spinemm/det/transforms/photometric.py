"""mmcv transform for SpineTK's photometric recipe (:mod:`spinemm.augment`)."""
import numpy as np
from mmcv.transforms import BaseTransform

from ...augment import spinetk_photometric
from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class SpineTKPhotometric(BaseTransform):
    """The recipe above on ``results['img']`` (uint8); ``seed`` fixes it
    (for tests), otherwise numpy's global generator seeds it per call, so
    mmengine's worker seeding makes runs reproducible."""

    def __init__(self, max_ops=5, seed=None):
        self.max_ops = max_ops
        self.rng = np.random.default_rng(seed) if seed is not None else None

    def transform(self, results):
        rng = self.rng or np.random.default_rng(np.random.randint(2**31))
        img = results['img']
        if img.dtype != np.uint8:
            raise TypeError(f'SpineTKPhotometric expects uint8 images, got '
                            f'{img.dtype}')
        results['img'], results['photometric_ops'] = spinetk_photometric(
            img, rng, self.max_ops)
        return results
