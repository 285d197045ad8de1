"""RSNA 2022 datasets: axial slices (stage 1) and studies (stage 2).

Both read what ``tools/dataset_converters/rsna_prepare.py`` writes
(``train_folds.csv``, ``slice_ratios.csv``) and pick studies by ``folds``
(e.g. ``folds=[1, 2, 3, 4]`` for training, ``[0]`` for validation), so a
cross-validation run is one config option. Items hold metadata only; the
pipeline transforms of ``spinemm.fracture.transforms`` load the pixels.
"""
import csv
import os.path as osp
import warnings

import numpy as np
from mmengine.dataset import BaseDataset

from ..formats.rsna import RSNA_VERTEBRAE, vertebra_sequences
from ..formats.rsna_prepare import read_folds, read_slice_ratios
from ..registry import DATASETS
from .scoring import LABELS
from .transforms import context_indices


class _RsnaBase(BaseDataset):

    def __init__(self, data_root, folds=None, prepared_dir=None,
                 ratio_file=None, **kwargs):
        self.folds = None if folds is None else set(folds)
        self.prepared_dir = prepared_dir or data_root
        self.ratio_file = ratio_file or osp.join(self.prepared_dir,
                                                 'slice_ratios.csv')
        super().__init__(data_root=data_root, **kwargs)

    def _studies(self):
        folds = read_folds(osp.join(self.prepared_dir, 'train_folds.csv'))
        return {u: r for u, r in folds.items()
                if self.folds is None or r['fold'] in self.folds}


@DATASETS.register_module()
class RsnaSliceDataset(_RsnaBase):
    """Axial slices with the visible ratio of C1..C7 and the C1-C7 box
    (the stage-1 target), for the studies of ``ratio_file`` in ``folds``.

    ``context`` neighbours on each side (head to foot, clamped at the ends)
    become channels; ``slice_stride`` keeps every n-th slice of a study.
    Items: uid, slice_number, context_numbers, position (0 top .. 1
    bottom), gt_ratios (7,), gt_box (4,) x, y, w, h in pixels or NaN.
    """

    def __init__(self, *args, context=1, slice_stride=1, **kwargs):
        self.context = context
        self.slice_stride = slice_stride
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        studies = self._studies()
        ratios = read_slice_ratios(self.ratio_file)
        boxes = read_ratio_boxes(self.ratio_file)
        out = []
        for uid in sorted(set(studies) & set(ratios)):
            numbers, r = ratios[uid]
            for k in range(0, len(numbers), self.slice_stride):
                idx = context_indices(k, len(numbers), self.context)
                out.append(dict(
                    data_root=self.data_root, uid=uid,
                    slice_number=int(numbers[k]),
                    context_numbers=numbers[idx].tolist(),
                    position=k / max(len(numbers) - 1, 1),
                    gt_ratios=r[k].astype(np.float32),
                    gt_box=boxes.get((uid, int(numbers[k])),
                                     np.full(4, np.nan))))
        return out


def read_ratio_boxes(path):
    """``{(uid, slice_number): (x, y, w, h)}`` from the optional box
    columns of a ratio file (empty where a slice shows no C1-C7)."""
    out = {}
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            if row.get('x'):
                out[(row['StudyInstanceUID'], int(row['slice_number']))] = \
                    np.array([float(row[k]) for k in
                              ('x', 'y', 'width', 'height')], np.float32)
    return out


@DATASETS.register_module()
class RsnaStudyDataset(_RsnaBase):
    """One item per study: for each of C1..C7, ``num_slices`` evenly spaced
    slices over the run of slices where it is visible (ratio >
    ``min_ratio``) with their boxes, and the 8 labels
    [patient_overall, C1..C7].

    The visible slices come from ``ratio_file``: the ground-truth
    ``slice_ratios.csv`` by default, or a stage-1 model's predictions (same
    columns, ``tools/fracture_stage1_infer.py``) for studies without a
    segmentation. A study of ``folds`` missing from the ratio file is an
    error that names it. A vertebra never seen gets ``valid`` 0 (left out
    of the loss) and is listed in ``self.unseen`` and a warning.
    Items: uid, sequences (7 lists of slice numbers or None), boxes (7 x
    (N, 4)), valid (7,), gt_labels (8,), num_slices.
    """

    def __init__(self, *args, num_slices=24, min_ratio=0.5, **kwargs):
        self.num_slices = num_slices
        self.min_ratio = min_ratio
        self.unseen = []
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        studies = self._studies()
        ratios = read_slice_ratios(self.ratio_file)
        missing = sorted(set(studies) - set(ratios))
        if missing:
            raise ValueError(
                f'{self.ratio_file}: no slice ratios for {len(missing)} '
                f'study(ies) of folds {sorted(self.folds or [])}, e.g. '
                f'{missing[:3]}; run tools/fracture_stage1_infer.py over '
                'them (or choose other folds)')
        boxes = read_ratio_boxes(self.ratio_file)
        out = []
        for uid in sorted(studies):
            numbers, r = ratios[uid]
            seqs = vertebra_sequences(r, self.num_slices, self.min_ratio)
            sequences, seq_boxes, valid = [], [], []
            for v, seq in enumerate(seqs):
                if seq is None:
                    self.unseen.append((uid, RSNA_VERTEBRAE[v]))
                    sequences.append(None)
                    seq_boxes.append(np.full((self.num_slices, 4), np.nan))
                    valid.append(0.0)
                    continue
                picked = numbers[seq].tolist()
                sequences.append(picked)
                seq_boxes.append(np.stack([
                    boxes.get((uid, n), np.full(4, np.nan)) for n in picked
                ]))
                valid.append(1.0)
            out.append(dict(
                data_root=self.data_root, uid=uid, sequences=sequences,
                boxes=seq_boxes, valid=np.array(valid, np.float32),
                num_slices=self.num_slices,
                gt_labels=np.array([studies[uid][k] for k in LABELS],
                                   np.float32)))
        if self.unseen:
            desc = ', '.join(f'{u} {v}' for u, v in self.unseen[:5])
            warnings.warn(
                f'{self.ratio_file}: {len(self.unseen)} vertebra(e) never '
                f'above ratio {self.min_ratio} (e.g. {desc}); they are left '
                'out of the loss and get the prior at inference. Check the '
                'stage-1 predictions of those studies, or lower min_ratio')
        return out
