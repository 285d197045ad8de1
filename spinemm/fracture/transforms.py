"""Pipeline transforms for the RSNA fracture models.

Datasets hold metadata only (study, slice numbers, targets); these load the
pixels. The array steps (2.5D stacking, cropping a sequence to its boxes) are
plain functions, so ``spinemm.fracture.inference`` runs the same code on a
series already in memory as training ran on files.
"""
import os.path as osp

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from ..formats.verse_volumes import hu_window
from ..io import read_dicom_image
from ..registry import TRANSFORMS

#: bone window of the RSNA seed (HU)
WINDOW = (-500.0, 1300.0)


def slice_path(data_root, uid, number, images='train_images'):
    return osp.join(data_root, images, uid, f'{number}.dcm')


def read_windowed(path, window=WINDOW):
    hu, _, _ = read_dicom_image(path)
    return hu_window(hu, *window)


def context_indices(k, n, context):
    """Indices of slice ``k`` and its ``context`` neighbours on each side
    (clamped at the ends of an ``n``-slice study), head to foot."""
    return np.clip(np.arange(k - context, k + context + 1), 0, n - 1)


def stack_slices(slices, image_size):
    """(C, H, W) uint8 slices -> (image_size, image_size, C) uint8."""
    img = np.stack(slices, -1)
    if image_size:
        img = cv2.resize(img, (image_size, image_size),
                         interpolation=cv2.INTER_AREA)
        if img.ndim == 2:
            img = img[..., None]
    return img


def crop_box(box, shape, margin):
    """(x, y, w, h) box, grown by ``margin`` of its size on each side and
    made square, as integer (x0, y0, x1, y1) inside an image of ``shape``;
    the whole image when the box is missing (NaN)."""
    h_img, w_img = shape
    if box is None or not np.isfinite(box).all() or box[2] <= 0:
        return 0, 0, w_img, h_img
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(np.floor(cx - side / 2)), int(np.floor(cy - side / 2))
    x1, y1 = int(np.ceil(cx + side / 2)), int(np.ceil(cy + side / 2))
    return max(x0, 0), max(y0, 0), min(x1, w_img), min(y1, h_img)


def mask_box(mask):
    """(x, y, w, h) of a boolean mask's pixels, None when it is empty."""
    rows, cols = np.nonzero(mask)
    if not rows.size:
        return None
    return np.array([cols.min(), rows.min(), cols.max() + 1 - cols.min(),
                     rows.max() + 1 - rows.min()], float)


def crop_sequence(slices, boxes, crop_size, margin=0.15, masks=None):
    """Crop each slice of one vertebra's sequence to its box.

    Args:
        slices: list of (H, W) uint8 slices.
        boxes: (N, 4) x, y, w, h per slice, NaN where the box is unknown
            (the median of the known boxes is used; the whole slice when
            none is known).
        masks: optional list of (H, W) boolean masks of this vertebra (the
            mask-based stage 1): a slice's crop is then the box of its mask
            where the mask is not empty, and the cropped mask is a second
            channel (0 / 255).

    Returns:
        (N, crop_size, crop_size) uint8, or (N, 2, crop_size, crop_size)
        with masks.
    """
    boxes = np.array(boxes, float)
    if masks is not None:
        for i, m in enumerate(masks):
            b = mask_box(m)
            if b is not None:
                boxes[i] = b
    known = np.isfinite(boxes).all(1) & (boxes[:, 2] > 0)
    fallback = np.median(boxes[known], 0) if known.any() else None
    out = []
    for i, (img, box, ok) in enumerate(zip(slices, boxes, known)):
        x0, y0, x1, y1 = crop_box(box if ok else fallback, img.shape, margin)
        if x1 <= x0 or y1 <= y0:
            x0, y0, x1, y1 = 0, 0, img.shape[1], img.shape[0]
        size = (crop_size, crop_size)
        patch = cv2.resize(img[y0:y1, x0:x1], size,
                           interpolation=cv2.INTER_AREA)
        if masks is None:
            out.append(patch)
            continue
        m = masks[i][y0:y1, x0:x1].astype(np.uint8) * 255
        out.append(np.stack([patch, cv2.resize(
            m, size, interpolation=cv2.INTER_NEAREST)]))
    return np.stack(out)


def read_study_masks(mask_dir, uid):
    """The mask-based stage 1's labels of a study: (labels (n, rows, cols)
    uint8 head to foot, {slice_number: index})."""
    path = osp.join(mask_dir, f'{uid}.npz')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}: no stage-1 masks for study {uid}; run '
            'tools/fracture_stage1_infer.py with the segmentation config '
            'over it')
    with np.load(path) as f:
        labels, numbers = f['labels'], f['numbers']
    return labels, {int(n): i for i, n in enumerate(numbers)}


@TRANSFORMS.register_module()
class LoadRsnaSlice(BaseTransform):
    """Load a slice and its 2.5D neighbours (``context_numbers`` from the
    dataset) as channels, windowed and resized: ``img`` (S, S, 2c+1) uint8,
    ``ori_shape`` (H, W)."""

    def __init__(self, image_size=256, window=WINDOW, images='train_images'):
        self.image_size = image_size
        self.window = tuple(window)
        self.images = images

    def transform(self, results):
        slices = [read_windowed(slice_path(results['data_root'],
                                           results['uid'], n, self.images),
                                self.window)
                  for n in results['context_numbers']]
        results['ori_shape'] = slices[0].shape
        results['img'] = stack_slices(slices, self.image_size)
        return results


@TRANSFORMS.register_module()
class RsnaSliceFlip(BaseTransform):
    """Left-right flip of a slice (and of its C1-C7 box) with ``prob``."""

    def __init__(self, prob=0.5):
        self.prob = prob

    def transform(self, results):
        if np.random.rand() < self.prob:
            results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
            box = np.array(results['gt_box'], float)
            if np.isfinite(box).all():
                box[0] = results['ori_shape'][1] - box[0] - box[2]
            results['gt_box'] = box
        return results


@TRANSFORMS.register_module()
class PackRsnaSlice(BaseTransform):
    """``inputs`` (C, S, S) float in [0, 1]; ``data_samples`` a dict of the
    targets: ratios (7,), box (4,) x0, y0, x1, y1 normalised by the image
    size, ``box_valid`` (1 where the slice shows C1-C7), ``position`` (the
    slice's relative position in its study, 0 top .. 1 bottom), uid, slice
    number, original shape."""

    def transform(self, results):
        img = torch.from_numpy(results['img'].transpose(2, 0, 1).copy())
        h, w = results['ori_shape']
        box = np.asarray(results.get('gt_box', np.full(4, np.nan)), float)
        valid = bool(np.isfinite(box).all())
        norm = np.array([box[0] / w, box[1] / h, (box[0] + box[2]) / w,
                         (box[1] + box[3]) / h]) if valid else np.zeros(4)
        sample = dict(
            uid=results['uid'], slice_number=int(results['slice_number']),
            ori_shape=torch.tensor([h, w]),
            gt_ratios=torch.as_tensor(
                np.asarray(results.get('gt_ratios', np.zeros(7)),
                           np.float32)),
            gt_box=torch.as_tensor(norm, dtype=torch.float32),
            box_valid=torch.tensor(float(valid)),
            position=torch.tensor(float(results.get('position', 0.0))))
        return dict(inputs=img.float() / 255.0, data_samples=sample)


@TRANSFORMS.register_module()
class LoadRsnaSequences(BaseTransform):
    """Load each vertebra's sequence of slices (``sequences`` from
    ``RsnaStudyDataset``: 7 lists of slice numbers, with their boxes) and
    crop each slice to its box: ``img`` (7, N, S, S) uint8. A vertebra
    never seen (``valid`` 0) gets a blank sequence. Each file is read once
    per study.

    ``mask_dir`` (the mask-based stage 1: ``<mask_dir>/<uid>.npz`` from
    ``tools/fracture_stage1_infer.py`` with a segmentation config) crops
    each slice to its vertebra's own mask and adds the mask as a second
    channel: ``img`` (7, N, 2, S, S).
    """

    def __init__(self, crop_size=64, margin=0.15, window=WINDOW,
                 images='train_images', mask_dir=None):
        self.crop_size = crop_size
        self.margin = margin
        self.window = tuple(window)
        self.images = images
        self.mask_dir = mask_dir

    def transform(self, results):
        cache = {}

        def get(n):
            if n not in cache:
                cache[n] = read_windowed(
                    slice_path(results['data_root'], results['uid'], n,
                               self.images), self.window)
            return cache[n]

        labels = index = None
        if self.mask_dir:
            labels, index = read_study_masks(self.mask_dir, results['uid'])
        n_slices = results['num_slices']
        shape = (len(results['sequences']), n_slices) + \
            ((2, ) if self.mask_dir else ()) + (self.crop_size, ) * 2
        out = np.zeros(shape, np.uint8)
        for v, (numbers, boxes) in enumerate(zip(results['sequences'],
                                                 results['boxes'])):
            if numbers is None:
                continue
            masks = None if labels is None else \
                [labels[index[n]] == v + 1 for n in numbers]
            out[v] = crop_sequence([get(n) for n in numbers], boxes,
                                   self.crop_size, self.margin, masks)
        results['img'] = out
        return results


@TRANSFORMS.register_module()
class RsnaSequenceAugment(BaseTransform):
    """Training augmentation of cropped sequences: a left-right flip with
    ``flip_prob``, and a random contrast / brightness change (the same for
    the whole study)."""

    def __init__(self, flip_prob=0.5, contrast=0.15, brightness=10):
        self.flip_prob = flip_prob
        self.contrast = contrast
        self.brightness = brightness

    def transform(self, results):
        img = results['img'].astype(np.float32)
        if np.random.rand() < self.flip_prob:
            img = img[..., ::-1]
        gain = 1 + np.random.uniform(-self.contrast, self.contrast)
        shift = np.random.uniform(-self.brightness, self.brightness)
        grey = img[:, :, 0] if img.ndim == 5 else img  # masks stay 0 / 255
        grey[...] = np.clip(grey * gain + shift, 0, 255)
        results['img'] = img.astype(np.uint8)
        return results


@TRANSFORMS.register_module()
class PackRsnaStudy(BaseTransform):
    """``inputs`` (7, N, C, S, S) float in [0, 1] (C = 1, or 2 with
    stage-1 masks); ``data_samples``: the 8
    labels [patient_overall, C1..C7] (``gt_labels``), ``valid`` (7,) 1 for
    a vertebra with a sequence, uid."""

    def transform(self, results):
        img = torch.from_numpy(np.ascontiguousarray(results['img']))
        labels = results.get('gt_labels')
        sample = dict(
            uid=results['uid'],
            gt_labels=torch.as_tensor(
                np.zeros(8) if labels is None else labels,
                dtype=torch.float32),
            valid=torch.as_tensor(results['valid'], dtype=torch.float32))
        if img.ndim == 4:
            img = img[:, :, None]
        return dict(inputs=img.float() / 255.0, data_samples=sample)
