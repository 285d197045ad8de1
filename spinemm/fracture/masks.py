"""The mask-based stage 1 (the 2022 winners' way): vertebra masks from a
segmentation model instead of the slice model's ratios and boxes.

* :func:`rsna_to_verse` writes the segmented RSNA studies in the VerSe
  layout (CT + ``seg-vert_msk``; RSNA's labels 1-7 = C1-C7, 8-19 = T1-T12
  are VerSe's numbering), so spinemm's VerSe path (the 2.5D pyramid
  segmentor, ``mode='levels'``) trains on them unchanged: the training
  folds in ``dataset-01training``, the validation fold in
  ``dataset-02validation``.
* :func:`masks_from_labels` turns a predicted label volume into what stage 2
  reads: the per-slice ratios and C1-C7 boxes (the same columns as the slice
  model's ratio file) and the labels head to foot, which
  ``LoadRsnaSequences(mask_dir=...)`` crops each vertebra by.
"""
import os
import os.path as osp

import numpy as np
from tqdm import tqdm

from ..formats.rsna import load_study, slice_truth
from ..formats.rsna_prepare import read_folds
from ..io import Volume, write_nifti
from ..utils import atomic_dir, atomic_write_json


def rsna_to_verse(root, prepared, out, val_fold=0, max_train=None,
                  overwrite=False, progress=True):
    """Write the segmented studies of ``prepared/train_folds.csv`` in the
    VerSe 2019 layout under ``out`` (subjects ``sub-rsnaNNNN``; the
    StudyInstanceUIDs in ``subjects.json``). ``max_train`` keeps the first
    N training studies (a CPU budget). Returns {split: number of studies}."""
    folds = read_folds(osp.join(prepared, 'train_folds.csv'))
    uids = sorted(u for u, r in folds.items() if r['has_segmentation'])
    train = [u for u in uids if folds[u]['fold'] != val_fold]
    val = [u for u in uids if folds[u]['fold'] == val_fold]
    if max_train is not None:
        train = train[:max_train]
    if not train or not val:
        raise ValueError(f'{prepared}: need segmented studies in and out of '
                         f'fold {val_fold} (found {len(train)} / {len(val)})')
    subjects = {}
    with atomic_dir(out, 'rsna-verse', overwrite, inputs=[root]) as tmp:
        for split, chosen in (('dataset-verse19training', train),
                              ('dataset-verse19validation', val)):
            for uid in tqdm(chosen, desc=split, disable=not progress):
                subject = f'sub-rsna{len(subjects):04d}'
                subjects[subject] = uid
                series, seg = load_study(root, uid)
                ct = Volume(np.round(series.data).astype(np.int16),
                            series.affine)
                raw = osp.join(tmp, split, 'rawdata', subject)
                der = osp.join(tmp, split, 'derivatives', subject)
                os.makedirs(raw)
                os.makedirs(der)
                write_nifti(ct, osp.join(raw, f'{subject}_ct.nii.gz'))
                write_nifti(Volume(seg.data.astype(np.uint8), series.affine),
                            osp.join(der, f'{subject}_seg-vert_msk.nii.gz'))
        atomic_write_json(osp.join(tmp, 'subjects.json'), subjects, indent=1)
    return {'training': len(train), 'validation': len(val)}


def masks_from_labels(labels):
    """A label volume on a series' grid (series order, foot to head) ->
    (ratios (n, 7), boxes (n, 4) x, y, w, h, labels (n, rows, cols) uint8),
    all head to foot."""
    ratios, boxes = slice_truth(labels)
    head_first = np.ascontiguousarray(
        np.asarray(labels.data, np.uint8).transpose(2, 1, 0)[::-1])
    return ratios[::-1], boxes[::-1], head_first


def write_truth_masks(root, prepared, out_dir, progress=True):
    """The ground-truth counterpart of the mask-based stage 1's output:
    ``<out_dir>/<uid>.npz`` for every segmented study of
    ``prepared/train_folds.csv`` (stage 2 can be trained on them, as on
    the ground-truth ``slice_ratios.csv``). Returns the number written."""
    from ..formats.rsna import slice_numbers
    from ..utils import atomic_file
    folds = read_folds(osp.join(prepared, 'train_folds.csv'))
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    for uid in tqdm(sorted(u for u, r in folds.items()
                           if r['has_segmentation']),
                    desc='truth masks', disable=not progress):
        series, seg = load_study(root, uid, pixels=False)
        _, _, labels = masks_from_labels(seg)
        with atomic_file(osp.join(out_dir, f'{uid}.npz'), '.npz') as tmp:
            np.savez_compressed(tmp, labels=labels,
                                numbers=np.array(slice_numbers(series)[::-1]))
        n += 1
    return n
