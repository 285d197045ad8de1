"""Whole-CT inference of a 3D segmentor, optionally inside a spine crop.

The CT goes onto the model's grid (('I', 'P', 'R'), the config's spacing:
what the patches were cut from), HU are windowed as in training, MONAI's
Gaussian-weighted sliding window covers the volume (AMP on CUDA), classes
become vertebra instances and come back to the CT's grid - the result dict
of :class:`spinemm.apis.volume_segment.VolumeSegmenter`, so
``tools/verse_infer.py`` writes it the same way.

With a ``localizer`` (a binary 3D segmentor trained at a coarse spacing,
e.g. 4 mm: its softmax is the spine heatmap) the CT is first segmented
coarsely, and only the box of the predicted spine column (components within
``column_radius_mm`` of the largest in the axial plane, + ``margin_mm``) is
segmented at full resolution.
"""
import time

import numpy as np
import torch

from ..formats.verse_slices import seg_classes
from ..io import Volume, resample


def _pipeline_step(cfg, name):
    for dl in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        for step in ((cfg.get(dl) or {}).get('dataset') or {}).get(
                'pipeline') or []:
            if step['type'].split('.')[-1] == name:
                return step
    raise ValueError(f'the config has no {name} step in its pipelines')


class Model3D:
    """A trained :class:`VolumeSegmentor3D` with what inference needs from
    its config: spacing, HU window, classes."""

    def __init__(self, config, checkpoint, device='cpu'):
        from ..engine.model_loading import load_model
        self.model = load_model(config, checkpoint, device)
        cfg = self.model.cfg
        try:
            load = _pipeline_step(cfg, 'LoadVersePatch')
            self.classes = seg_classes(load.get('mode', 'levels'))
        except ValueError:  # trained on synthetic CTs
            from ..synthesis.transforms import classes_of
            load = _pipeline_step(cfg, 'LoadSynthCTPatch')
            self.classes = classes_of(load.get('mode', 'anatomy'))
        pack = _pipeline_step(cfg, 'PackVolumeInputs')
        self.spacing = float(load.get('spacing', 1.0))
        self.window = tuple(pack.get('window', (-500.0, 1300.0)))
        self.device = torch.device(device)

    def probabilities(self, hu, progress=False, softmax=True):
        """(D, H, W) HU on the model grid -> (K, D, H, W) float32 softmax
        (blended logits with ``softmax=False``)."""
        from .transforms import hu_to_unit
        x = torch.from_numpy(hu_to_unit(hu, self.window))[None, None]
        x = x.to(self.device)
        amp = self.device.type == 'cuda'
        with torch.autocast('cuda', enabled=amp):
            p = self.model.predict_volume(x, progress=progress,
                                          softmax=softmax)
        return p[0].float().cpu().numpy()


def spine_box(prob, threshold=0.5, min_fraction=0.05, column_radius=None,
              min_column_share=0.5, source='CT'):
    """Slices of the box around the voxels with ``prob >= threshold`` on a
    grid whose axis 0 runs head to foot, leaving out connected components
    smaller than ``min_fraction`` of the largest (specks; the vertebrae are
    separate components, discs lie between them) and, with
    ``column_radius`` (voxels), components whose centre lies farther than
    that from the largest's in the axial plane (axes 1, 2: the spine is a
    column; measured: a 4 mm localizer on a phantom in a 512x512x300 air
    scan found 432 components, and the box of all sizeable ones was the
    whole scan). When the column holds less than ``min_column_share`` of
    the sizeable components' voxels the localizer is not sure where the
    spine is: the box of all of them is returned, with a warning (a crop
    that cuts vertebrae off would be a wrong result without an error; on a
    real chest CT the column alone held 33 % of the vertebrae). None if
    nothing is found."""
    from scipy import ndimage
    mask = prob >= threshold
    comps, n = ndimage.label(mask)
    if n == 0:
        return None
    sizes = ndimage.sum(mask, comps, range(1, n + 1))
    ok = sizes >= min_fraction * sizes.max()
    if column_radius is not None:
        centres = np.array(ndimage.center_of_mass(mask, comps,
                                                  range(1, n + 1)))
        axial = centres[:, 1:] - centres[int(np.argmax(sizes)), 1:]
        column = ok & (np.linalg.norm(axial, axis=1) <= column_radius)
        share = sizes[column].sum() / sizes[ok].sum()
        if share >= min_column_share:
            ok = column
        else:
            import warnings
            warnings.warn(
                f'{source}: the spine localizer\'s column holds {share:.0%} '
                'of what it found; segmenting the box of all of it instead '
                '(slower; the localizer may not fit this scan)',
                stacklevel=2)
    keep = np.isin(comps, 1 + np.nonzero(ok)[0])
    idx = np.nonzero(keep)
    return tuple(slice(int(i.min()), int(i.max()) + 1) for i in idx)


class VolumeSegmenter3D:
    """``VolumeSegmenter3D(config, checkpoint)(ct)`` -> the result dict of
    :class:`~spinemm.apis.volume_segment.VolumeSegmenter` (labels on the
    CT's grid, classes / instances on the model grid, grid_ct, levels,
    seconds), plus ``crop`` (the box segmented, model-grid slices)."""

    def __init__(self, config, checkpoint, device='cpu', localizer=None,
                 localizer_checkpoint=None, margin_mm=20.0,
                 column_radius_mm=40.0,
                 min_volume_mm3=200.0, overlap=None, sw_batch_size=None):
        self.seg = Model3D(config, checkpoint, device)
        if overlap is not None:
            self.seg.model.test_cfg['overlap'] = overlap
        if sw_batch_size is not None:
            self.seg.model.test_cfg['sw_batch_size'] = sw_batch_size
        self.loc = Model3D(localizer, localizer_checkpoint, device) \
            if localizer else None
        self.margin_mm = margin_mm
        self.column_radius_mm = column_radius_mm
        self.classes = self.seg.classes
        self.spacing = self.seg.spacing  # mm of the model grid, as the 2.5D one
        self.min_voxels = max(1, round(min_volume_mm3 / self.seg.spacing**3))

    def localize(self, ct):
        """The spine heatmap on the localizer's grid and the box it gives
        on the segmentation grid (None: no spine found -> whole CT)."""
        from ..seg.volume_labels import to_model_grid
        coarse = to_model_grid(ct, self.loc.spacing)
        heat = self.loc.probabilities(coarse.data.astype(np.float32))[1]
        box = spine_box(heat, column_radius=self.column_radius_mm /
                        self.loc.spacing,
                        source=ct.meta.get('source', 'CT'))
        if box is None:
            return heat, coarse, None
        # coarse voxel box -> world -> fine voxel box
        lo = np.array([s.start for s in box], float) - 0.5
        hi = np.array([s.stop for s in box], float) - 0.5
        return heat, coarse, (lo, hi)

    def crop_of(self, grid, coarse, box):
        """The localizer's box (coarse voxels, :meth:`localize`) as slices
        of the segmentation ``grid``, grown by ``margin_mm``; the whole
        grid when there is no box."""
        shape = grid.data.shape
        if box is None:
            return tuple(slice(0, s) for s in shape)
        corners = np.array([[box[i // 4 % 2][0], box[i // 2 % 2][1],
                             box[i % 2][2]] for i in range(8)])
        fine = grid.world_to_voxel(coarse.voxel_to_world(corners))
        lo = np.floor(fine.min(0)).astype(int)
        hi = np.ceil(fine.max(0)).astype(int) + 1
        m = int(round(self.margin_mm / self.seg.spacing))
        return tuple(slice(max(a - m, 0), min(b + m, s))
                     for a, b, s in zip(lo, hi, shape))

    def __call__(self, ct: Volume, progress=False):
        from ..seg.volume_labels import segmentation_result, to_model_grid
        t0 = time.perf_counter()
        grid = to_model_grid(ct, self.seg.spacing)
        arr = grid.data.astype(np.float32)
        crop = tuple(slice(0, s) for s in arr.shape)
        t_loc = 0.0
        if self.loc is not None:
            tl = time.perf_counter()
            _, coarse, box = self.localize(ct)
            crop = self.crop_of(grid, coarse, box)
            t_loc = time.perf_counter() - tl
        t1 = time.perf_counter()
        logits = self.seg.probabilities(arr[crop], progress, softmax=False)
        classes = np.zeros(arr.shape, np.uint8)
        classes[crop] = logits.argmax(0).astype(np.uint8)
        del logits
        return segmentation_result(
            classes, self.classes, self.min_voxels, grid, ct,
            dict(resample=t1 - t0 - t_loc, localize=t_loc,
                 network=time.perf_counter() - t1), t0, crop=crop,
            bone_edges=getattr(self, 'bone_edges', True))


def is_3d_config(config):
    """True for a config whose model is a :class:`VolumeSegmentor3D`."""
    from mmengine.config import Config
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    return str(cfg.model.get('type', '')).split('.')[-1] == \
        'VolumeSegmentor3D'


__all__ = ['Model3D', 'VolumeSegmenter3D', 'spine_box', 'is_3d_config',
           'resample']
