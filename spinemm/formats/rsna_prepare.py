"""RSNA 2022 preparation: folds, per-slice truth and the files datasets read.

``prepare_rsna(root, out)`` writes, under ``out``:

* ``train_folds.csv`` — train.csv plus ``fold`` (multilabel-stratified,
  seeded), ``reversed`` (slice_number grows towards the head) and
  ``has_segmentation``; studies on the relabel (drop) list are left out.
* ``slice_ratios.csv`` — for each study with a segmentation, one row per
  axial slice in head-to-foot order: ``StudyInstanceUID, slice_number``,
  the visible ratio of C1..C7 and the box ``x, y, width, height`` around
  C1-C7 (empty where none). A model's predicted ratios for the other studies
  use the same columns (box columns optional), so sequence datasets read
  either.
"""
import csv
import os
import os.path as osp
import warnings

import numpy as np
from tqdm import tqdm

from ..utils import atomic_file
from .rsna import (RSNA_VERTEBRAE, TRAIN_COLUMNS, assign_folds, is_reversed,
                   load_study, read_train_csv, slice_numbers, slice_truth)

FOLD_COLUMNS = TRAIN_COLUMNS + ('fold', 'reversed', 'has_segmentation')
RATIO_COLUMNS = ('StudyInstanceUID', 'slice_number') + RSNA_VERTEBRAE
BOX_COLUMNS = ('x', 'y', 'width', 'height')


def _write_csv(path, header, rows):
    with atomic_file(path, '.csv') as tmp, open(tmp, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def read_drop_list(path):
    """StudyInstanceUIDs, one per line (``#`` comments allowed)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'relabel/drop list not found: {path}')
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip()]


#: a segmentation on the right voxels covers bone: the median HU under C1-C7
#: of a cervical CT is several hundred (cortical + trabecular bone); a
#: segmentation misplaced by a wrong affine covers soft tissue or air
MIN_BONE_HU = 100.0


def segmentation_median_hu(series, seg, num_slices=3):
    """Median HU under the C1-C7 labels on the ``num_slices`` slices with
    the most labelled voxels (only those slices are decoded)."""
    import pydicom
    counts = ((seg.data >= 1) & (seg.data <= 7)).sum(axis=(0, 1))
    values = []
    for k in np.argsort(counts)[::-1][:num_slices]:
        if counts[k] == 0:
            break
        ds = pydicom.dcmread(series.meta['files'][k])
        hu = ds.pixel_array.astype(np.float32) * float(
            ds.get('RescaleSlope', 1.0)) + float(
                ds.get('RescaleIntercept', 0.0))
        mask = (seg.data[:, :, k] >= 1) & (seg.data[:, :, k] <= 7)
        values.append(hu.T[mask])
    return float(np.median(np.concatenate(values))) if values else \
        float('nan')


def prepare_rsna(root, out, n_folds=5, seed=42, drop=(), progress=True,
                 check_alignment=True):
    """Write ``train_folds.csv`` and ``slice_ratios.csv`` (see module doc).

    Studies of train.csv without an image folder, and image folders that
    train.csv does not list, are left out with a warning naming them and
    listed in the returned summary. With ``check_alignment`` a segmentation
    must lie on bone once brought onto the series (median HU under C1-C7 on
    its 3 fullest slices >= :data:`MIN_BONE_HU`, decoding only those
    slices); one that does not (a wrong affine) is not used for the slice
    targets (``has_segmentation`` 0), is named in a warning and listed as
    ``misaligned``.

    Returns:
        dict(studies, with_segmentation, reversed, dropped, without_images,
        unlabelled, misaligned).
    """
    labels = read_train_csv(osp.join(root, 'train.csv'))
    images = osp.join(root, 'train_images')
    on_disk = set(os.listdir(images)) if osp.isdir(images) else set()
    no_images = sorted(set(labels) - on_disk)
    unlabelled = sorted(u for u in on_disk - set(labels)
                        if osp.isdir(osp.join(images, u)))
    if no_images and len(no_images) == len(labels):
        raise FileNotFoundError(f'{images}: none of the {len(labels)} '
                                'studies of train.csv has a folder there')
    for what, uids in (('in train.csv but without images (left out)',
                        no_images),
                       ('in train_images/ but not in train.csv (left out)',
                        unlabelled)):
        if uids:
            warnings.warn(f'{root}: {len(uids)} study(ies) {what}, e.g. '
                          f'{uids[:3]}')
    labels = {u: r for u, r in labels.items() if u not in set(no_images)}
    unknown = sorted(set(drop) - set(labels))
    if unknown:
        raise ValueError(f'drop list names studies not in train.csv: '
                         f'{unknown[:5]}')
    folds = assign_folds(labels, n_folds, seed, drop)
    fold_rows, ratio_rows, n_seg, n_rev, misaligned = [], [], 0, 0, []
    for uid in tqdm(sorted(folds), desc='RSNA studies', disable=not progress):
        series, seg = load_study(root, uid, pixels=False)
        rev = is_reversed(series)
        n_rev += rev
        if seg is not None and check_alignment:
            hu = segmentation_median_hu(series, seg)
            if not hu >= MIN_BONE_HU:
                misaligned.append((uid, hu))
                seg = None
        fold_rows.append([uid] + [labels[uid][k] for k in TRAIN_COLUMNS[1:]]
                         + [folds[uid], int(rev), int(seg is not None)])
        if seg is None:
            continue
        n_seg += 1
        ratios, boxes = slice_truth(seg)
        numbers = slice_numbers(series)
        # series order is foot -> head; rows are written head -> foot
        for k in range(len(numbers) - 1, -1, -1):
            box = ['' if np.isnan(v) else f'{v:g}' for v in boxes[k]]
            ratio_rows.append([uid, numbers[k]] +
                              [f'{r:.4f}' for r in ratios[k]] + box)
    if misaligned:
        desc = ', '.join(f'{u} ({h:.0f} HU)' for u, h in misaligned[:5])
        warnings.warn(
            f'{root}: {len(misaligned)} segmentation(s) do not lie on bone '
            f'once placed on their series (median HU under C1-C7 below '
            f'{MIN_BONE_HU:.0f}): {desc}; they are not used. If every study '
            'is listed, the NIfTI affines and the DICOM geometry disagree: '
            'report it with one study')
    _write_csv(osp.join(out, 'train_folds.csv'), FOLD_COLUMNS, fold_rows)
    _write_csv(osp.join(out, 'slice_ratios.csv'), RATIO_COLUMNS + BOX_COLUMNS,
               ratio_rows)
    return dict(studies=len(folds), with_segmentation=n_seg, reversed=n_rev,
                dropped=len(drop), without_images=no_images,
                unlabelled=unlabelled, misaligned=[u for u, _ in misaligned])


def read_folds(path):
    """``train_folds.csv`` -> {uid: row dict with int values}."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: run tools/dataset_converters/rsna_prepare.py')
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    missing = set(FOLD_COLUMNS) - set(rows[0] if rows else FOLD_COLUMNS)
    if missing:
        raise ValueError(f'{path}: missing column(s) {sorted(missing)}')
    return {r['StudyInstanceUID']: {k: int(r[k]) for k in FOLD_COLUMNS[1:]}
            for r in rows}


def read_slice_ratios(path):
    """A ratio file (ground truth or predicted) -> {uid: (slice_numbers
    (N,) int, ratios (N, 7) float)} in the file's (head-to-foot) order."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'slice ratio file not found: {path}')
    out = {}
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        missing = set(RATIO_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f'{path}: missing column(s) {sorted(missing)}')
        for i, row in enumerate(reader, 2):
            try:
                number = int(row['slice_number'])
                ratios = [float(row[c]) for c in RSNA_VERTEBRAE]
            except ValueError as e:
                raise ValueError(f'{path}, line {i}: {e}') from e
            out.setdefault(row['StudyInstanceUID'], ([], []))
            out[row['StudyInstanceUID']][0].append(number)
            out[row['StudyInstanceUID']][1].append(ratios)
    return {u: (np.array(n), np.array(r, float)) for u, (n, r) in out.items()}
