"""Segment whole CT volumes with a 2D / 2.5D spine_seg model.

The CT is put on the grid the model was trained on (('I', 'P', 'R'), the
test dataset's ``spacing``: 1 mm for the VerSe slice models, see
:mod:`spinemm.formats.verse_volumes`; 2 mm for the synthetic-CT slab model,
:mod:`spinemm.synthesis.slabs`), cut into sagittal (or coronal)
slabs of ``2 * context + 1`` slices, each slab segmented by the model's own
test step (its ``test_cfg``: whole slab, or mmseg's sliding window), the
class maps stacked into a volume, split into vertebra instances
(:func:`spinemm.seg.volume_labels.instances_from_classes`) and brought back
to the CT's own grid by nearest neighbour.
"""
import time

import numpy as np
import torch

from ..formats.verse_slices import (num_slices, put_slice, seg_classes,
                                    take_slab)
from ..formats.verse_volumes import hu_window
from ..io import Volume, reorient
# the model grid and the result dict live below this module and
# spinemm.volume3d.inference, which both build whole-CT results
from ..seg.volume_labels import (labels_to_ct, segmentation_result,  # noqa
                                 to_model_grid)


class VolumeSegmenter:
    """``VolumeSegmenter(config, checkpoint)(ct)`` -> dict(labels=Volume on
    the CT's grid, classes / instances=Volume of class indices / labels on
    the model's 1 mm grid, grid_ct=the CT array on that grid,
    seconds=dict of timings).

    Each slab goes through the model's own ``test_step`` (data preprocessor,
    mmseg's whole or slide inference, the model's postprocessing), exactly
    as ``tools/test.py`` runs the config's test loop, so
    ``VerseVolumeMetric`` there and ``eval_verse.py`` on what this writes
    score the same predictions.

    Args:
        window: when given, a sliding window of this side (px) with
            ``overlap`` instead of the config's ``model.test_cfg`` (mmseg's
            ``mode='slide'``: logits averaged where windows overlap).
        overlap: fraction of the window two neighbours share.
        batch_size: slabs per forward pass.
        min_volume_mm3: smallest vertebra instance kept.

    ``bone_edges`` (attribute, default True): levels counted from anatomy
    get their edges moved onto the CT's bone on its own grid
    (:func:`spinemm.morphometry.bone_edges.snap_to_bone`).
    """

    bone_edges = True

    def __init__(self, config, checkpoint, device='cpu', window=None,
                 overlap=0.25, batch_size=8, min_volume_mm3=200.0):
        from mmseg.apis import init_model
        self.model = init_model(config, checkpoint, device=device)
        if checkpoint is not None:
            from ..engine.model_loading import check_checkpoint_fits
            check_checkpoint_fits(self.model, checkpoint,
                                  f'the model of {config}')
        cfg = self.model.cfg
        ds = cfg.test_dataloader.dataset
        self.context = int(ds.get('context', 0))
        self.plane = ds.get('plane', 'sagittal')
        self.hu_range = tuple(ds.get('window', (-500.0, 1300.0)))
        self.spacing = float(ds.get('spacing', 1.0))
        if window:
            self.set_window(window, overlap)
        self.batch_size = batch_size
        self.min_voxels = max(1, round(min_volume_mm3 / self.spacing**3))
        meta = getattr(self.model, 'dataset_meta', None)  # from the ckpt
        self.classes = tuple(meta['classes']) if meta else \
            seg_classes(ds.get('mode', 'binary'))

    def set_window(self, window, overlap=0.25):
        """Slide a ``window`` px square with ``overlap`` (mmseg's
        ``test_cfg`` ``mode='slide'``)."""
        from mmengine.config import ConfigDict
        if not 0 <= overlap < 1:
            raise ValueError(f'overlap must lie in [0, 1), not {overlap}')
        stride = max(1, int(round(window * (1 - overlap))))
        cfg = ConfigDict(mode='slide', crop_size=(window, window),
                         stride=(stride, stride))
        check = getattr(self.model, 'check_test_cfg', None)
        self.model.test_cfg = check(cfg) if check else cfg

    def segment_slabs(self, slabs):
        """(H, W, C) uint8 slabs of one size -> (H, W) uint8 class maps,
        through the model's ``test_step``."""
        from mmseg.structures import SegDataSample
        shape = slabs[0].shape[:2]
        samples = [SegDataSample(metainfo=dict(
            ori_shape=shape, img_shape=shape, pad_shape=shape))
            for _ in slabs]
        inputs = [torch.from_numpy(np.ascontiguousarray(c.transpose(2, 0, 1)))
                  for c in slabs]
        with torch.no_grad():
            outs = self.model.test_step(dict(inputs=inputs,
                                             data_samples=samples))
        return [o.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
                for o in outs]

    def __call__(self, ct: Volume, progress=False):
        from tqdm import tqdm
        t0 = time.perf_counter()
        grid = to_model_grid(ct, self.spacing)
        # whole HU, as load_verse_case serves the training and test slices
        arr = np.round(grid.data)
        t1 = time.perf_counter()
        classes = np.zeros(arr.shape, np.uint8)
        n = num_slices(arr.shape, self.plane)
        bar = tqdm(total=n, desc='segment slices', disable=not progress)
        for k0 in range(0, n, self.batch_size):
            ks = range(k0, min(k0 + self.batch_size, n))
            slabs = [hu_window(take_slab(arr, k, self.plane, self.context),
                               *self.hu_range) for k in ks]
            for k, pred in zip(ks, self.segment_slabs(slabs)):
                put_slice(classes, k, self.plane, pred)
            bar.update(len(ks))
        bar.close()
        return segmentation_result(classes, self.classes, self.min_voxels,
                                   grid, ct, dict(resample=t1 - t0,
                                                  network=time.perf_counter() - t1),
                                   t0, bone_edges=self.bone_edges)


def instance_centroids(instances: Volume):
    """``{label: (3,) world RAS+ mm}``: the vertebral-body centroid of each
    instance (what VerSe's ``*_ctd.json`` hold), see
    :mod:`spinemm.evaluation.body_centroids`."""
    from ..evaluation.body_centroids import body_centroids
    return body_centroids(instances)


def write_verse_prediction(result, out_dir, stem, direction=('P', 'I', 'R')):
    """Write a :class:`VolumeSegmenter` result as VerSe names it:
    ``<stem>_seg-vert_msk.nii.gz`` (labels on the CT's grid),
    ``<stem>_seg-subreg_ctd.json`` (body centroids in voxels of the mask
    reoriented to ``direction``, as VerSe ships them) and
    ``<stem>_seg-vert_snapshot.png`` (the mid-sagittal slice with labels).

    Returns the three paths.
    """
    import os
    import os.path as osp

    from ..formats.verse import write_verse_centroids
    from ..io import write_nifti
    os.makedirs(out_dir, exist_ok=True)
    base = osp.join(out_dir, stem)
    mask_path = base + '_seg-vert_msk.nii.gz'
    ctd_path = base + '_seg-subreg_ctd.json'
    png_path = base + '_seg-vert_snapshot.png'
    write_nifti(result['labels'], mask_path)
    oriented = reorient(result['labels'], direction)
    world = instance_centroids(result['instances'])
    write_verse_centroids(ctd_path, direction, [
        dict(label=v, voxel=oriented.world_to_voxel(p)[0])
        for v, p in sorted(world.items())])
    draw_snapshot(result, png_path)
    return mask_path, ctd_path, png_path


def draw_snapshot(result, path):
    """Mid-sagittal CT slice (bone window) with the instances coloured and
    named: a picture to check a volume at a glance."""
    import cv2

    from ..formats.verse import VERSE_LEVELS
    from ..visualization import seg_overlay
    inst = result['instances'].data
    ct = result['grid_ct']
    cols = np.nonzero(inst.any(axis=(0, 1)))[0]
    k = int(np.median(cols)) if cols.size else inst.shape[2] // 2
    image = hu_window(ct[:, :, k])
    labels = inst[:, :, k]
    scale = max(1, int(np.ceil(400 / image.shape[0])))  # >= 400 px tall
    image = cv2.resize(image, None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_LINEAR)
    labels = cv2.resize(labels, None, fx=scale, fy=scale,
                        interpolation=cv2.INTER_NEAREST)
    rng = np.random.RandomState(1)
    palette = [[0, 0, 0]] + rng.randint(60, 255, (255, 3)).tolist()
    out = seg_overlay(image, labels, palette, alpha=0.5)
    for v in np.unique(labels):
        if v == 0:
            continue
        ys, xs = np.nonzero(labels == v)
        name = VERSE_LEVELS.get(int(v), str(v)) if result.get('levels') \
            else f'#{v}'
        x = min(int(xs.max()) + 4, out.shape[1] - 28)
        cv2.putText(out, name, (x, int(ys.mean()) + 4),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1,
                    cv2.LINE_AA)
    from ..utils import atomic_file
    with atomic_file(path, '.png') as tmp:
        cv2.imwrite(tmp, out)


def build_volume_segmenter(config, checkpoint, device='cpu', window=None,
                           overlap=None, batch_size=8, localizer=None,
                           localizer_checkpoint=None):
    """The whole-CT segmenter a config asks for: a 3D patch model
    (:class:`spinemm.volume3d.inference.VolumeSegmenter3D`, optionally with
    a spine ``localizer``) or a 2D / 2.5D slice model
    (:class:`VolumeSegmenter`). Both return the same result dict."""
    from ..volume3d.inference import VolumeSegmenter3D, is_3d_config
    if is_3d_config(config):
        return VolumeSegmenter3D(config, checkpoint, device, localizer,
                                 localizer_checkpoint, overlap=overlap,
                                 sw_batch_size=batch_size)
    if localizer:
        raise ValueError('a spine localizer crops for 3D patch models only; '
                         f'{config} is a slice model')
    return VolumeSegmenter(config, checkpoint, device, window,
                           0.25 if overlap is None else overlap, batch_size)
