"""Stage 1 over a whole RSNA root -> a ratio file stage 2 reads.

The file has exactly the columns of the ground-truth ``slice_ratios.csv``
(``StudyInstanceUID, slice_number, C1..C7, x, y, width, height``), rows head
to foot, so ``RsnaStudyDataset(ratio_file=...)`` takes either.
"""
import csv
import os
import os.path as osp

import numpy as np

from tqdm import tqdm

from ..formats.rsna_prepare import BOX_COLUMNS, RATIO_COLUMNS
from ..utils import atomic_file
from .inference import (MaskStage1, StudySeries, is_mask_stage1, load_stage,
                        pipeline_step, predict_slices)
from .transforms import WINDOW


def study_folders(root, images='train_images'):
    """``{uid: folder}`` of the study folders under ``root/images`` (or
    ``root`` itself when it is a single series folder)."""
    base = osp.join(root, images)
    if not osp.isdir(base):
        raise FileNotFoundError(f'{base} not found: ROOT must hold an RSNA '
                                f'{images}/ folder of study folders')
    out = {u: osp.join(base, u) for u in sorted(os.listdir(base))
           if osp.isdir(osp.join(base, u))}
    if not out:
        raise FileNotFoundError(f'{base} holds no study folder')
    return out


def write_predicted_ratios(config, checkpoint, root, out, images='train_images',
                           device='cpu', batch_size=64, progress=True,
                           mask_dir=None):
    """Predict every study of ``root/images`` and write ``out``.

    With a segmentation config (the mask-based stage 1) the ratios and
    boxes come from its vertebra masks, and the masks are written to
    ``mask_dir`` (``<uid>.npz``: labels head to foot, slice numbers), which
    stage 2's ``LoadRsnaSequences(mask_dir=...)`` reads.

    Returns:
        dict(studies, slices).
    """
    masks = is_mask_stage1(config)
    if masks and not mask_dir:
        raise ValueError(f'{config} is a segmentation config: give mask_dir '
                         '(--mask-dir) for its masks')
    folders = study_folders(root, images)
    if masks:
        model = MaskStage1(config, checkpoint, device)
        window = model.segmenter.hu_range
        os.makedirs(mask_dir, exist_ok=True)
    else:
        model = load_stage(config, checkpoint, device)
        window = pipeline_step(model.cfg, 'LoadRsnaSlice').get('window',
                                                               WINDOW)
    n_slices = 0
    with atomic_file(out, '.csv') as tmp, open(tmp, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(RATIO_COLUMNS + BOX_COLUMNS)
        for uid, folder in tqdm(folders.items(), desc='stage 1',
                                disable=not progress):
            study = StudySeries(folder)
            if masks:
                ratios, boxes, labels = model(study.volume)
                with atomic_file(osp.join(mask_dir, f'{uid}.npz'),
                                 '.npz') as npz:
                    np.savez_compressed(npz, labels=labels,
                                        numbers=np.array(study.numbers))
            else:
                ratios, boxes = predict_slices(model, study.windowed(window),
                                               batch_size)
            for number, r, b in zip(study.numbers, ratios, boxes):
                w.writerow([uid, number] + [f'{x:.4f}' for x in r] +
                           ['' if not np.isfinite(x) else f'{x:.2f}'
                            for x in b])
            n_slices += len(ratios)
    return dict(studies=len(folders), slices=n_slices)
