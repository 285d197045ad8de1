"""3D patch pipeline: load a patch from a VerSe case, augment, pack.

``LoadVersePatch`` reads a random ``patch_size`` crop of one case through
:class:`~spinemm.formats.verse_volumes.VerseCaseReader` (the H5 cache when
``cache_dir`` is set: only the chunks the patch touches are decoded);
``RandomSpatial3D`` applies one random rotation + scaling (+ an optional
smooth elastic displacement) as a single resampling, linear for the CT and
nearest for the labels; ``RandomIntensity3D`` shifts, scales and adds noise
to HU; ``PackVolumeInputs`` windows HU to [0, 1] and packs tensors.

There is no left-right flip: a flipped patch keeps its level labels right,
but a flip is not a plausible spine (situs), and VerSe's seed had none.
"""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from scipy import ndimage

from ..formats.verse_slices import level_classes, seg_classes
from ..formats.verse_volumes import VerseCaseReader
from ..io.intensity import hu_to_unit
from ..registry import TRANSFORMS


def crop_patch(volume, origin, size, fill=0):
    """``volume[origin : origin + size]`` (3D), padded with ``fill`` where
    the window leaves the volume. Works on h5py datasets (reads only the
    overlap)."""
    origin = np.asarray(origin, int)
    size = np.asarray(size, int)
    shape = np.asarray(volume.shape, int)
    lo = np.maximum(origin, 0)
    hi = np.minimum(origin + size, shape)
    out = np.full(tuple(size), fill, dtype=volume.dtype)
    if np.all(hi > lo):
        src = volume[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        d = lo - origin
        out[d[0]:d[0] + src.shape[0], d[1]:d[1] + src.shape[1],
            d[2]:d[2] + src.shape[2]] = src
    return out


@TRANSFORMS.register_module()
class LoadVersePatch(BaseTransform):
    """Load one random 3D patch of ``results['case']``.

    With probability ``foreground_prob`` the patch is centred on a random
    vertebra centroid, jittered by up to ``jitter`` x patch size, otherwise
    anywhere in the volume. ``deterministic`` seeds the draw with the
    sample index (validation: the same patches every time). Outside the CT
    the patch is air (-1024 HU) and background.

    Adds ``img`` (D, H, W) float32 HU, ``gt_seg_map`` (D, H, W) uint8 class
    indices (``mode`` 'binary' or 'levels', as the 2.5D datasets:
    :func:`spinemm.formats.verse_slices.seg_classes`), ``origin``.
    """

    def __init__(self, patch_size=(128, 128, 128), foreground_prob=0.8,
                 mode='levels', spacing=1.0, cache_dir=None, jitter=0.25,
                 deterministic=False):
        self.patch_size = tuple(int(s) for s in patch_size)
        if len(self.patch_size) != 3 or min(self.patch_size) < 1:
            raise ValueError(f'patch_size is 3 positive sides, not '
                             f'{patch_size}')
        self.foreground_prob = foreground_prob
        self.classes = seg_classes(mode)
        self.reader = VerseCaseReader(spacing, cache_dir)
        self.jitter = jitter
        self.deterministic = deterministic
        self._warned = set()

    def _origin(self, shape, centroids, rng):
        size = np.asarray(self.patch_size)
        centroids = list(centroids.values())
        if centroids and rng.rand() < self.foreground_prob:
            centre = np.asarray(centroids[rng.randint(len(centroids))])
            centre = centre + rng.uniform(-self.jitter, self.jitter, 3) * size
        else:
            centre = rng.uniform(0, 1, 3) * np.asarray(shape)
        return np.round(centre - size / 2).astype(int)

    def transform(self, results):
        case = results['case']
        arrays = self.reader(case)
        if arrays['mask'] is None:
            raise ValueError(f'{case["ct"]}: no vertebra mask for this case '
                             '(a patch dataset needs labelled cases)')
        shape = arrays['ct'].shape
        if any(p > s for p, s in zip(self.patch_size, shape)) and \
                case['stem'] not in self._warned:
            self._warned.add(case['stem'])
            print_log(f'{case["ct"]}: volume {tuple(shape)} (on the {self.reader.spacing} mm grid) '
                      f'is smaller than patch_size {self.patch_size}; '
                      'patches are padded with air', 'current', level=30)
        seed = results.get('sample_idx', 0) if self.deterministic \
            else np.random.randint(2**31)
        rng = np.random.RandomState(seed)
        origin = self._origin(shape, arrays['centroids'], rng)
        ct = crop_patch(arrays['ct'], origin, self.patch_size, fill=-1024)
        mask = crop_patch(arrays['mask'], origin, self.patch_size)
        results['img'] = ct.astype(np.float32)
        results['gt_seg_map'] = level_classes(mask, self.classes)
        results['origin'] = origin.tolist()
        results['classes'] = self.classes
        return results


@TRANSFORMS.register_module()
class RandomSpatial3D(BaseTransform):
    """With probability ``prob``: rotation about each axis by up to
    ``max_rotate`` degrees, isotropic scaling in ``scale_range`` and, when
    ``elastic_sigma`` > 0, a smooth random displacement (Gaussian-filtered
    noise, amplitude ``elastic_alpha`` voxels) - all composed into one
    coordinate map, so the CT is interpolated once (linear) and the labels
    once (nearest)."""

    def __init__(self, prob=0.5, max_rotate=10.0, scale_range=(0.9, 1.1),
                 elastic_sigma=0.0, elastic_alpha=4.0):
        self.prob = prob
        self.max_rotate = max_rotate
        self.scale_range = scale_range
        self.elastic_sigma = elastic_sigma
        self.elastic_alpha = elastic_alpha

    @staticmethod
    def rotation(angles_deg):
        a, b, c = np.deg2rad(angles_deg)
        rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)],
                       [0, np.sin(a), np.cos(a)]])
        ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0],
                       [-np.sin(b), 0, np.cos(b)]])
        rz = np.array([[np.cos(c), -np.sin(c), 0],
                       [np.sin(c), np.cos(c), 0], [0, 0, 1]])
        return rx @ ry @ rz

    def transform(self, results):
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        shape = np.array(img.shape)
        matrix = self.rotation(np.random.uniform(
            -self.max_rotate, self.max_rotate, 3)) / np.random.uniform(
                *self.scale_range)
        centre = (shape - 1) / 2
        grid = np.indices(img.shape, dtype=np.float32).reshape(3, -1)
        coords = matrix @ (grid - centre[:, None]) + centre[:, None]
        coords = coords.reshape((3, ) + img.shape)
        if self.elastic_sigma > 0:
            for k in range(3):
                noise = np.random.uniform(-1, 1, img.shape).astype(np.float32)
                coords[k] += self.elastic_alpha * ndimage.gaussian_filter(
                    noise, self.elastic_sigma) / max(
                        1e-6, np.abs(ndimage.gaussian_filter(
                            noise, self.elastic_sigma)).max())
        results['img'] = ndimage.map_coordinates(
            img, coords, order=1, mode='constant', cval=-1024.0)
        results['gt_seg_map'] = ndimage.map_coordinates(
            results['gt_seg_map'], coords, order=0, mode='constant', cval=0)
        return results


@TRANSFORMS.register_module()
class RandomIntensity3D(BaseTransform):
    """HU augmentation: ``hu * scale + shift + noise`` with ``scale`` in
    ``scale_range``, ``shift`` in +-``max_shift`` HU and Gaussian noise of
    up to ``max_noise`` HU, each applied with probability ``prob``."""

    def __init__(self, prob=0.5, scale_range=(0.9, 1.1), max_shift=50.0,
                 max_noise=30.0):
        self.prob = prob
        self.scale_range = scale_range
        self.max_shift = max_shift
        self.max_noise = max_noise

    def transform(self, results):
        img = results['img']
        if np.random.rand() < self.prob:
            img = img * np.random.uniform(*self.scale_range)
        if np.random.rand() < self.prob:
            img = img + np.random.uniform(-self.max_shift, self.max_shift)
        if np.random.rand() < self.prob:
            img = img + np.random.normal(
                0, np.random.uniform(0, self.max_noise), img.shape)
        results['img'] = img.astype(np.float32)
        return results


@TRANSFORMS.register_module()
class PackVolumeInputs(BaseTransform):
    """``img`` HU -> ``inputs`` (1, D, H, W) float32 in [0, 1] over
    ``window``; ``gt_seg_map`` -> ``data_samples.gt_seg_map`` (D, H, W)
    int64, with the case stem, origin and classes as metainfo."""

    def __init__(self, window=(-500.0, 1300.0)):
        self.window = tuple(window)

    def transform(self, results):
        inputs = torch.from_numpy(hu_to_unit(results['img'], self.window))[None]
        sample = BaseDataElement(metainfo=dict(
            case=results['case']['stem'], origin=results.get('origin'),
            classes=results.get('classes')))
        if 'gt_seg_map' in results:
            sample.gt_seg_map = torch.from_numpy(
                np.ascontiguousarray(results['gt_seg_map']).astype(np.int64))
        return dict(inputs=inputs, data_samples=sample)
