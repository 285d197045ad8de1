"""RSNA 2022 datasets: per-slice (stage 1) and per-vertebra sequences (stage 2).

Both read what ``tools/dataset_converters/rsna_prepare.py`` writes
(``train_folds.csv``, ``slice_ratios.csv``) and pick studies by ``folds``
(e.g. ``folds=[1, 2, 3, 4]`` for training, ``[0]`` for validation), so a
cross-validation run is one config option.
"""
import csv
import os.path as osp

import cv2
import numpy as np
from mmengine.dataset import BaseDataset

from ..formats.rsna import RSNA_VERTEBRAE, vertebra_sequences
from ..formats.rsna_prepare import read_folds, read_slice_ratios
from ..formats.verse_volumes import hu_window
from ..io import read_dicom_image
from ..registry import DATASETS


class _RsnaBase(BaseDataset):

    def __init__(self, data_root, folds=None, prepared_dir=None,
                 ratio_file=None, image_size=None, window=(-500.0, 1300.0),
                 **kwargs):
        self.folds = None if folds is None else set(folds)
        self.prepared_dir = prepared_dir or data_root
        self.ratio_file = ratio_file or osp.join(self.prepared_dir,
                                                 'slice_ratios.csv')
        self.image_size = image_size
        self.window = tuple(window)
        super().__init__(data_root=data_root, **kwargs)

    def _studies(self):
        folds = read_folds(osp.join(self.prepared_dir, 'train_folds.csv'))
        return {u: r for u, r in folds.items()
                if self.folds is None or r['fold'] in self.folds}

    def read_slice(self, uid, number):
        path = osp.join(self.data_root, 'train_images', uid, f'{number}.dcm')
        hu, _, _ = read_dicom_image(path)
        img = hu_window(hu, *self.window)
        if self.image_size:
            img = cv2.resize(img, (self.image_size, self.image_size),
                             interpolation=cv2.INTER_AREA)
        return img


@DATASETS.register_module()
class RsnaSliceDataset(_RsnaBase):
    """Axial slices with the visible ratio of C1..C7 and the C1-C7 box
    (the stage-1 target). Items: dict(img (H, W) uint8, gt_ratios (7,),
    gt_box (4,) x, y, w, h in original pixels or NaN, uid, slice_number)."""

    def load_data_list(self):
        studies = self._studies()
        ratios = read_slice_ratios(self.ratio_file)
        boxes = _read_boxes(self.ratio_file)
        out = []
        for uid in sorted(set(studies) & set(ratios)):
            numbers, r = ratios[uid]
            for n, rr in zip(numbers, r):
                out.append(dict(uid=uid, slice_number=int(n),
                                gt_ratios=rr.astype(np.float32),
                                gt_box=boxes.get((uid, int(n)),
                                                 np.full(4, np.nan))))
        return out

    def get_data_info(self, idx):
        info = super().get_data_info(idx)
        info['img'] = self.read_slice(info['uid'], info['slice_number'])
        return info


def _read_boxes(path):
    out = {}
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            if row.get('x'):
                out[(row['StudyInstanceUID'], int(row['slice_number']))] = \
                    np.array([float(row[k]) for k in
                              ('x', 'y', 'width', 'height')], np.float32)
    return out


@DATASETS.register_module()
class RsnaVertebraDataset(_RsnaBase):
    """One item per (study, vertebra C1..C7): ``num_slices`` evenly spaced
    slices over the slices where the vertebra is visible, and its fracture
    label from train.csv.

    The visible slices come from ``ratio_file``: the ground-truth
    ``slice_ratios.csv`` by default, or a stage-1 model's predictions (same
    columns) for studies without a segmentation. Vertebrae never seen
    (ratio <= ``min_ratio`` on every slice) are left out and counted in
    ``self.unseen``. Items: dict(img (num_slices, H, W) uint8, gt_label 0/1,
    uid, vertebra, slice_numbers).
    """

    def __init__(self, *args, num_slices=24, min_ratio=0.0, **kwargs):
        self.num_slices = num_slices
        self.min_ratio = min_ratio
        self.unseen = []
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        studies = self._studies()
        ratios = read_slice_ratios(self.ratio_file)
        out = []
        for uid in sorted(set(studies) & set(ratios)):
            numbers, r = ratios[uid]
            seqs = vertebra_sequences(r, self.num_slices, self.min_ratio)
            for v, seq in enumerate(seqs):
                name = RSNA_VERTEBRAE[v]
                if seq is None:
                    self.unseen.append((uid, name))
                    continue
                out.append(dict(uid=uid, vertebra=name,
                                gt_label=studies[uid][name],
                                slice_numbers=numbers[seq].tolist()))
        return out

    def get_data_info(self, idx):
        info = super().get_data_info(idx)
        info['img'] = np.stack([self.read_slice(info['uid'], n)
                                for n in info['slice_numbers']])
        return info
