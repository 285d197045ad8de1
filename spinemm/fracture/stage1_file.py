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
                           mask_dir=None, skip_bad=False, overwrite=False,
                           gaps='error'):
    """Predict every study of ``root/images`` and write ``out``.

    With a segmentation config (the mask-based stage 1) the ratios and
    boxes come from its vertebra masks, and the masks are written to
    ``mask_dir`` (``<uid>.npz``: labels head to foot, slice numbers), which
    stage 2's ``LoadRsnaSequences(mask_dir=...)`` reads.

    Rows are keyed by each study's StudyInstanceUID from its headers. Every
    output name is checked before the first study (the output rule of
    :mod:`spinemm.utils.outputs`; no output inside ``root/images``). A study
    that cannot be read, or is not an axial CT (:mod:`spinemm.io.ct_checks`),
    is skipped with its reason; ``skip_bad`` skips unreadable files inside a
    series instead of the study, ``gaps='resample'`` interpolates over
    missing slices (:func:`spinemm.io.read_dicom_series`).

    Returns:
        dict(studies, predicted, slices, failed=[dict(uid, reason)]).
    """
    from ..io.dicom_series import DicomSeriesError
    from ..utils import OutputPlan
    masks = is_mask_stage1(config)
    if masks and not mask_dir:
        raise ValueError(f'{config} is a segmentation config: give mask_dir '
                         '(--mask-dir) for its masks')
    folders = study_folders(root, images)
    plan = OutputPlan(overwrite, [osp.join(root, images)], [out] + (
        [osp.join(mask_dir, f'{u}.npz') for u in folders] if masks else []))
    plan.check()
    if masks:
        model = MaskStage1(config, checkpoint, device)
        window = model.segmenter.hu_range
        os.makedirs(mask_dir, exist_ok=True)
    else:
        model = load_stage(config, checkpoint, device)
        window = pipeline_step(model.cfg, 'LoadRsnaSlice').get('window',
                                                               WINDOW)
    n_slices, failed, done = 0, [], set()
    with plan.file(out, '.csv') as tmp, open(tmp, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(RATIO_COLUMNS + BOX_COLUMNS)
        for uid, folder in tqdm(folders.items(), desc='stage 1',
                                disable=not progress):
            try:
                study = StudySeries(folder, skip_bad=skip_bad, gaps=gaps)
            except (DicomSeriesError, FileNotFoundError, ValueError) as e:
                failed.append(dict(uid=uid, reason=str(e)))
                tqdm.write(f'skipped study {uid}: {e}')
                continue
            uid = study.study_uid or uid
            if uid in done:
                failed.append(dict(uid=uid, reason=f'{folder}: the same '
                                   'StudyInstanceUID as an earlier folder'))
                continue
            done.add(uid)
            if masks:
                ratios, boxes, labels = model(study.volume)
                with plan.file(osp.join(mask_dir, f'{uid}.npz'),
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
        if not done:
            raise ValueError(f'{osp.join(root, images)}: no study could be '
                             f'predicted ({len(failed)} skipped: '
                             + '; '.join(f['reason'] for f in failed[:3])
                             + '); nothing written')
    return dict(studies=len(folders), predicted=len(done), slices=n_slices,
                failed=failed)
