"""Crops of lateral films with what they show: a vertebra's level (C2,
C3..L5, S1) or ``none`` (not a vertebra of the column): the training data
of :class:`spinemm.levels.model.VertebraLevelClassifier`.

Reads the per-vertebra COCO file of
``tools/dataset_converters/lateral2coco.py`` (instances with a ``level``),
so a level classifier uses the same train / val films as the detector it
serves. C2 (its inferior endplate annotated) and S1 (its superior one) get
the missing endplate from their neighbour's (C3's, L5's) height and axis.
``none`` crops are cut where a detector's false vertebrae lie: beside the
column (1.5 to 4 endplate widths in front of or behind a vertebra: ribs,
bowel, the scapula), below S1 (the sacrum and pelvis) and above C2."""
import json
import os.path as osp

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..formats.lateral_fullspine import LATERAL_LEVELS
from ..morphometry.lateral_appearance import COLUMN_CLASSES, NONE
from ..morphometry.lateral_chain import vertebra_frame
from ..registry import DATASETS
from ..utils.errors import InputError
from .crops import context_crop

#: what a crop can show, head to foot, then ``none``
LEVEL_CLASSES = COLUMN_CLASSES


def _end_corners(endplate, neighbour, superior):
    """4 corners of C2 (``superior=False``: its inferior endplate given)
    or S1 (its superior endplate given), the other endplate one neighbour
    height along the neighbour's axis."""
    _, h, down, _ = vertebra_frame(neighbour)
    e = np.asarray(endplate, float)
    if superior:  # S1: the given endplate is the top one
        return np.concatenate([e, e + h * down])
    return np.concatenate([e - h * down, e])


def film_items(anns, rng, negatives=8):
    """(corners (4, 2), class index) of one film's annotations: its
    vertebrae, C2 and S1 when their neighbour is annotated, and
    ``negatives`` ``none`` boxes drawn with ``rng``."""
    kp = {}
    for a in anns:
        k = np.asarray(a['keypoints'], float).reshape(4, 3)
        kp[a.get('level')] = k
    items = []
    for lv in LATERAL_LEVELS:
        if lv in kp and (kp[lv][:, 2] > 0).all():
            items.append((kp[lv][:, :2], LEVEL_CLASSES.index(lv)))
    full = {LEVEL_CLASSES[c]: x for x, c in items}
    if 'C2' in kp and 'C3' in full and (kp['C2'][2:, 2] > 0).all():
        items.append((_end_corners(kp['C2'][2:, :2], full['C3'], False),
                      LEVEL_CLASSES.index('C2')))
    if 'S1' in kp and 'L5' in full and (kp['S1'][:2, 2] > 0).all():
        items.append((_end_corners(kp['S1'][:2, :2], full['L5'], True),
                      LEVEL_CLASSES.index('S1')))
    column = [x for x, _ in items]
    for _ in range(negatives if column else 0):
        base = column[rng.integers(len(column))]
        centre, h, down, fwd = vertebra_frame(base)
        width = np.linalg.norm(base[1] - base[0])
        kind = rng.integers(3)
        if kind == 0:  # beside the column
            move = fwd * rng.choice([-1, 1]) * rng.uniform(1.5, 4) * width
        elif kind == 1:  # below the lowest annotated body
            low = max(column, key=lambda c: c.mean(0)[1])
            base = low
            move = vertebra_frame(low)[2] * rng.uniform(1.3, 3) * h
        else:  # above the highest
            high = min(column, key=lambda c: c.mean(0)[1])
            base = high
            move = -vertebra_frame(high)[2] * rng.uniform(1.3, 3) * h
        items.append((base + move, NONE))
    return items


@DATASETS.register_module()
class LateralLevelCropDataset(Dataset):
    """One item per crop: dict(inputs=(1, S, S) uint8 tensor,
    data_samples=dict(level=index into LEVEL_CLASSES)).

    Args:
        ann_file: the per-vertebra COCO json.
        data_prefix: dict(img=the folder of its films), as mmdet's.
        size: crop side (px); context: crop side in vertebral heights.
        train: jittered crops (shift, scale, rotation, contrast, gamma),
            else the box's own frame.
        negatives: ``none`` crops per film (drawn once, seeded).
        shift, scale, angle: the training jitter (heights, factor range,
            degrees).
        test_mode: accepted for mmengine's dataloader building (unused).
    """

    METAINFO = dict(classes=LEVEL_CLASSES)

    def __init__(self, ann_file, data_prefix, size=128, context=3.0, train=True,
                 negatives=8, shift=0.15, scale=(0.85, 1.2), angle=10.0,
                 seed=0, test_mode=False):
        if not osp.isfile(ann_file):
            raise InputError(f'{ann_file}: no such annotation file (write '
                             'it with tools/dataset_converters/'
                             'lateral2coco.py)')
        with open(ann_file) as f:
            coco = json.load(f)
        files = {im['id']: im['file_name'] for im in coco['images']}
        img_dir = data_prefix['img']
        by_image = {}
        for a in coco['annotations']:
            by_image.setdefault(a['image_id'], []).append(a)
        self.size, self.context, self.train = size, context, train
        self.shift, self.scale, self.angle = shift, tuple(scale), angle
        rng = np.random.default_rng(seed)
        self.items, self._films, self._paths = [], {}, {}
        for image_id in sorted(by_image):
            self._paths[image_id] = osp.join(img_dir, files[image_id])
            for corners, cls in film_items(by_image[image_id], rng,
                                           negatives):
                self.items.append((image_id, corners, cls))
        if not any(c != NONE for _, _, c in self.items):
            raise InputError(f'{ann_file}: no vertebra with 4 corners')
        self.metainfo = dict(self.METAINFO)
        self._rng = np.random.default_rng(seed + 1)

    def __len__(self):
        return len(self.items)

    def _film(self, image_id):
        if image_id not in self._films:
            path = self._paths[image_id]
            img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise InputError(f'{path}: not a readable image')
            self._films[image_id] = img
        return self._films[image_id]

    def __getitem__(self, i):
        image_id, corners, level = self.items[i]
        img = self._film(image_id)
        if self.train:
            rng = np.random.default_rng(
                [int(torch.initial_seed() % 2**32), i,
                 int(self._rng.integers(2**31))])
            jitter = dict(shift=rng.uniform(-self.shift, self.shift, 2),
                          scale=rng.uniform(*self.scale),
                          angle=rng.uniform(-self.angle, self.angle))
            crop = context_crop(img, corners, self.size, self.context,
                                jitter).astype(np.float32)
            # contrast and gamma of another exposure
            crop = np.clip(crop * rng.uniform(0.75, 1.25) +
                           rng.uniform(-20, 20), 0, 255)
            crop = 255.0 * (crop / 255.0) ** rng.uniform(0.7, 1.4)
            crop = crop.astype(np.uint8)
        else:
            crop = context_crop(img, corners, self.size, self.context)
        return dict(inputs=torch.from_numpy(crop)[None],
                    data_samples=dict(level=level))
