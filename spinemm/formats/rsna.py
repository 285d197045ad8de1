"""RSNA 2022 cervical spine fracture detection: layout and per-slice truth.

Published layout::

    <root>/train.csv                   StudyInstanceUID, patient_overall, C1..C7
    <root>/train_bounding_boxes.csv    StudyInstanceUID, x, y, width, height,
                                       slice_number
    <root>/train_images/<StudyInstanceUID>/<slice_number>.dcm   axial CT
    <root>/segmentations/<StudyInstanceUID>.nii                 (87 studies)

Segmentation labels: 1-7 = C1-C7, 8-19 = T1-T12. The NIfTI is stored in a
sagittal orientation; it is aligned to the axial series by world position
(its affine and the DICOM geometry), never by array axes.
"""
import csv
import os.path as osp

import numpy as np

from ..io import (label_volume, read_dicom_series, read_nifti,
                  resample_to)

RSNA_VERTEBRAE = tuple(f'C{i}' for i in range(1, 8))
TRAIN_COLUMNS = ('StudyInstanceUID', 'patient_overall') + RSNA_VERTEBRAE
BOX_COLUMNS = ('StudyInstanceUID', 'x', 'y', 'width', 'height',
               'slice_number')


def _read_csv(path, columns):
    if not osp.isfile(path):
        raise FileNotFoundError(f'RSNA file not found: {path}')
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f'{path}: missing column(s) {missing}')
        return list(reader)


def read_train_csv(path):
    """{StudyInstanceUID: {'patient_overall': 0/1, 'C1': 0/1, ...}}.

    A label other than 0 / 1, a study listed twice, or a patient_overall
    that disagrees with C1-C7 is an error naming the line."""
    out = {}
    for i, row in enumerate(_read_csv(path, TRAIN_COLUMNS), 2):
        uid = row['StudyInstanceUID'].strip()
        values = {k: (row[k] or '').strip() for k in TRAIN_COLUMNS[1:]}
        bad = {k: v for k, v in values.items() if v not in ('0', '1')}
        if bad:
            raise ValueError(f'{path}, line {i} (study {uid}): labels must '
                             f'be 0 or 1, found {bad}')
        if uid in out:
            raise ValueError(f'{path}, line {i}: study {uid} is listed '
                             'twice')
        labels = {k: int(v) for k, v in values.items()}
        if labels['patient_overall'] != int(any(labels[c]
                                                for c in RSNA_VERTEBRAE)):
            raise ValueError(
                f'{path}, line {i} (study {uid}): patient_overall is '
                f'{labels["patient_overall"]} but C1-C7 say '
                f'{int(any(labels[c] for c in RSNA_VERTEBRAE))}')
        out[uid] = labels
    return out


def read_bounding_boxes(path):
    """{StudyInstanceUID: [(slice_number, x, y, width, height), ...]}."""
    out = {}
    for row in _read_csv(path, BOX_COLUMNS):
        out.setdefault(row['StudyInstanceUID'], []).append(
            (int(float(row['slice_number'])), float(row['x']),
             float(row['y']), float(row['width']), float(row['height'])))
    return out


def load_study(root, uid, pixels=True):
    """Axial series and, where it exists, its segmentation on that grid.

    ``pixels=False`` reads the series' headers only (geometry, order, file
    names), which is all that numbering slices and resampling the
    segmentation need.

    Returns:
        (series Volume, labels Volume or None); both in the series' voxel
        order (column, row, slice) and ``series.meta['files']`` gives each
        slice's file (its name is RSNA's slice_number).
    """
    series = read_dicom_series(osp.join(root, 'train_images', uid),
                               pixels=pixels)
    seg_path = osp.join(root, 'segmentations', f'{uid}.nii')
    if not osp.isfile(seg_path):
        seg_path += '.gz'
    if not osp.isfile(seg_path):
        return series, None
    # labels 1-7 C1-C7, 8-19 T1-T12 (checked before any cast)
    seg = label_volume(read_nifti(seg_path), range(1, 20),
                       'RSNA segmentation')
    return series, resample_to(seg, series, is_label=True)


def slice_truth(labels):
    """Per axial slice: visible ratio of C1-C7 and the box around them.

    The visible ratio of vertebra v on slice k is its voxel count on k over
    its largest count on any slice of the study (the RSNA seed's definition).

    Returns:
        ratios (num_slices, 7) float, boxes (num_slices, 4) x, y, w, h in
        pixel coordinates of the axial image (NaN where no C1-C7 voxel).
    """
    data = labels.data  # (column, row, slice)
    n = data.shape[2]
    counts = np.stack([(data == v).sum(axis=(0, 1)) for v in range(1, 8)], 1)
    peak = counts.max(0)
    ratios = np.divide(counts, peak, out=np.zeros(counts.shape, float),
                       where=peak > 0)
    boxes = np.full((n, 4), np.nan)
    cervical = (data >= 1) & (data <= 7)
    for k in range(n):
        cols, rows = np.nonzero(cervical[:, :, k])
        if cols.size:
            boxes[k] = (cols.min(), rows.min(), cols.max() + 1 - cols.min(),
                        rows.max() + 1 - rows.min())
    return ratios, boxes


def slice_numbers(series):
    """RSNA slice_number (the file stem) of each slice in series order."""
    return [int(osp.splitext(osp.basename(f))[0])
            for f in series.meta['files']]


def is_reversed(series):
    """True when slice_number grows towards the head (RSNA numbers most
    studies from the head down; some the other way)."""
    numbers = slice_numbers(series)
    # series slices run inferior -> superior (ordered by position)
    return len(numbers) > 1 and numbers[-1] > numbers[0]


def vertebra_sequences(ratios, num_slices=24, min_ratio=0.0):
    """For each of C1-C7, ``num_slices`` evenly spaced slice indices over the
    longest run of consecutive slices where it is visible (ratio >
    ``min_ratio``); None if never seen.

    Works the same on ground-truth ratios and on a model's predicted ratios
    (the longest run ignores a stray slice predicted far from the vertebra).
    """
    out = []
    for v in range(ratios.shape[1]):
        seen = np.nonzero(ratios[:, v] > min_ratio)[0]
        if seen.size == 0:
            out.append(None)
            continue
        runs = np.split(seen, np.nonzero(np.diff(seen) > 1)[0] + 1)
        run = max(runs, key=len)
        pick = np.linspace(run[0], run[-1], num_slices)
        out.append(np.round(pick).astype(int))
    return out


def assign_folds(train_labels, n_folds=5, seed=0, drop=()):
    """Multilabel-stratified k-fold over studies (one study per patient).

    Args:
        train_labels: ``read_train_csv`` output.
        drop: StudyInstanceUIDs to leave out (the seed's relabel list of
            mislabelled studies).

    Returns:
        {uid: fold} with folds 0..n_folds-1, stratified on patient_overall
        and C1-C7 (iterative stratification), the same for the same seed.
    """
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
    uids = sorted(u for u in train_labels if u not in set(drop))
    if len(uids) < n_folds:
        raise ValueError(f'{n_folds} folds need at least {n_folds} studies; '
                         f'{len(uids)} left after dropping {len(drop)}')
    y = np.array([[train_labels[u][k] for k in TRAIN_COLUMNS[1:]]
                  for u in uids])
    kfold = MultilabelStratifiedKFold(n_splits=n_folds, shuffle=True,
                                      random_state=seed)
    folds = {}
    for fold, (_, test_idx) in enumerate(kfold.split(np.zeros(len(uids)), y)):
        for i in test_idx:
            folds[uids[i]] = fold
    return folds
