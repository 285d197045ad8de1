"""Random 3D patches of VerSe cases (the VerSe seed's 128^3 training crops)."""
import numpy as np
from mmengine.dataset import BaseDataset

from ...formats.verse import index_verse
from ...formats.verse_volumes import VerseCaseReader
from ...registry import DATASETS


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


@DATASETS.register_module()
class VersePatchDataset(BaseDataset):
    """``samples_per_case`` random ``patch_size`` patches per labelled case.

    With probability ``foreground_prob`` a patch is centred on a random
    vertebra centroid (jittered by up to a quarter patch), otherwise
    anywhere in the volume. Items are dict(inputs (1, D, H, W) float32 =
    HU / 1000, gt_seg_map (D, H, W) uint8 VerSe labels (or 0/1 when
    ``binary``), case, origin). Reading goes through the H5 cache when
    ``cache_dir`` is set.
    """

    def __init__(self, data_root, patch_size=(128, 128, 128),
                 samples_per_case=4, foreground_prob=0.8, binary=False,
                 splits=None, spacing=1.0, cache_dir=None, **kwargs):
        self.patch_size = tuple(patch_size)
        self.samples_per_case = samples_per_case
        self.foreground_prob = foreground_prob
        self.binary = binary
        self.splits = splits
        self.reader = VerseCaseReader(spacing, cache_dir)
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self):
        cases = [c for c in index_verse(self.data_root) if c['mask'] and
                 (self.splits is None or c['split'] in self.splits)]
        if not cases:
            raise FileNotFoundError(
                f'no labelled VerSe case under {self.data_root}')
        return [dict(case=c, sample=k) for c in cases
                for k in range(self.samples_per_case)]

    def _origin(self, arrays, rng):
        shape = np.asarray(arrays['ct'].shape)
        size = np.asarray(self.patch_size)
        centroids = list(arrays['centroids'].values())
        if centroids and rng.rand() < self.foreground_prob:
            centre = np.asarray(centroids[rng.randint(len(centroids))])
            centre = centre + rng.uniform(-0.25, 0.25, 3) * size
        else:
            centre = rng.uniform(0, 1, 3) * shape
        return np.round(centre - size / 2).astype(int)

    def get_data_info(self, idx):
        info = super().get_data_info(idx)
        arrays = self.reader(info['case'])
        rng = np.random.RandomState(np.random.randint(2**31))
        origin = self._origin(arrays, rng)
        ct = crop_patch(arrays['ct'], origin, self.patch_size, fill=-1024)
        mask = crop_patch(arrays['mask'], origin, self.patch_size)
        if self.binary:
            mask = (mask > 0).astype(np.uint8)
        info.update(inputs=(ct.astype(np.float32) / 1000.0)[None],
                    gt_seg_map=mask, origin=origin.tolist())
        return info
