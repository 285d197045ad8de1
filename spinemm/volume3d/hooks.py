"""Per-validation pictures of 3D patches: the middle sagittal slice of the
first validation patches, prediction filled, truth outlined."""
import numpy as np

from ..engine.hooks import ValPictureHook
from ..registry import HOOKS


def level_palette(n, seed=1):
    """``n`` RGB colours, background black; the same for every run."""
    rng = np.random.RandomState(seed)
    return np.vstack([[0, 0, 0], rng.randint(60, 255, (max(n - 1, 0), 3))]
                     ).astype(np.uint8)


@HOOKS.register_module()
class VolumeSnapshotHook(ValPictureHook):
    """Writes ``<work_dir>/<out_dir>/iter_<n>/<k>_<case>.png`` for the
    first ``num_images`` validation patches of each validation (main rank
    only): the patch's middle sagittal slice (the served grid is ('I', 'P',
    'R'): axis 2 runs right to left) in [0, 1] grey, the predicted classes
    filled, the true ones outlined."""

    def __init__(self, num_images=4, alpha=0.45, out_dir='snapshots'):
        super().__init__(num_images, alpha, out_dir)

    def picture(self, runner, inputs, sample):
        pred = sample.pred_seg_map.cpu().numpy()
        k = pred.shape[2] // 2
        image = (np.clip(inputs[0].cpu().numpy()[:, :, k], 0, 1) * 255
                 ).astype(np.uint8)
        gt = sample.gt_seg_map.cpu().numpy()[:, :, k] \
            if 'gt_seg_map' in sample else None
        n = len(sample.metainfo.get('classes') or []) or \
            int(max(pred.max(), 0 if gt is None else gt.max())) + 1
        # nearest-neighbour enlargement to >= 256 px: patches are small
        f = max(1, int(np.ceil(256 / min(image.shape))))
        image = np.kron(image, np.ones((f, f), np.uint8))
        shown = np.kron(pred[:, :, k], np.ones((f, f), pred.dtype))
        if gt is not None:
            gt = np.kron(gt, np.ones((f, f), gt.dtype))
        return image, shown, gt, level_palette(n), \
            sample.metainfo.get('case', 'patch')
