"""Fracture inference over study folders -> a Kaggle submission, a JSON and
a picture per study (what ``tools/fracture_infer.py`` writes).

A study that cannot be read (mixed series, a missing slice, unreadable files)
is skipped with its reason in ``summary.json`` and on the console: its rows
are left out of ``submission.csv``, never filled with a guess. A vertebra
stage 1 never sees gets the stage-2 model's prior, with a warning naming the
study and the vertebra, and is listed in the study's JSON.
"""
import os
import os.path as osp
import warnings

import cv2
import numpy as np
from tqdm import tqdm

from ..io.dicom_series import DicomSeriesError, _claims_dicom
from ..utils import (atomic_dir, atomic_write_json, check_no_overlap,
                     check_replaceable)
from .inference import FracturePredictor, is_nifti
from .scoring import LABELS
from .submission import write_long_csv
from .visualize import draw_sagittal


def _nifti_stem(name):
    return name[:-7] if name.endswith('.nii.gz') else name[:-4]


def list_studies(path):
    """``[(uid, path)]``: ``path`` itself when it is a CT NIfTI file or holds
    DICOM files, else each sub-folder (the RSNA ``test_images/`` layout) and
    each NIfTI file in it."""
    if osp.isfile(path) and is_nifti(path):
        return [(_nifti_stem(osp.basename(path)), path)]
    if not osp.isdir(path):
        raise FileNotFoundError(f'no such study folder, NIfTI file or root: '
                                f'{path}')
    names = sorted(os.listdir(path))
    if any(osp.isfile(osp.join(path, n)) and _claims_dicom(osp.join(path, n))
           for n in names):
        return [(osp.basename(osp.normpath(path)), path)]
    subs = [(n, osp.join(path, n)) for n in names
            if osp.isdir(osp.join(path, n))]
    subs += [(_nifti_stem(n), osp.join(path, n)) for n in names
             if is_nifti(n) and osp.isfile(osp.join(path, n))]
    if not subs:
        raise FileNotFoundError(f'{path}: no DICOM files, study folders or '
                                'NIfTI files inside')
    return subs


def _study_json(result):
    study = result['study']
    ratios, boxes = result['ratios'], result['boxes']
    per = {}
    for v, name in enumerate(LABELS[1:]):
        used = result['slices_used'][name]
        entry = dict(probability=float(result['probs'][name]),
                     slices_used=used, prior_used=name in result['unseen'])
        if used:
            ks = [study.numbers.index(n) for n in used]
            b = boxes[ks]
            entry['stage1_box_xywh'] = [float(x) for x in np.median(b, 0)]
            entry['peak_ratio'] = float(ratios[:, v].max())
        per[name] = entry
    return dict(
        StudyInstanceUID=result['uid'], folder=study.folder,
        patient_overall=float(result['probs']['patient_overall']),
        vertebrae=per, num_slices=len(study.numbers),
        anatomy_problems=result['anatomy_problems'],
        reversed_numbering=bool(study.reversed),
        spacing_mm=list(study.spacing),
        seconds={k: round(v, 3) for k, v in result['seconds'].items()})


def run_fracture_inference(stage1_config, stage1_checkpoint, stage2_config,
                           stage2_checkpoint, path, out_dir, device='cpu',
                           overwrite=False, progress=True, stage1_stride=1,
                           **read_kwargs):
    """Predict every study under ``path`` into ``out_dir`` (atomically).

    Returns:
        dict(studies, predicted, failed=[(uid, reason)], unseen=[(uid, v)]).
    """
    studies = list_studies(path)
    # the output folder is checked before the models are built
    check_no_overlap(out_dir, [path])
    check_replaceable(osp.abspath(out_dir), 'fracture-infer', overwrite)
    predictor = FracturePredictor(stage1_config, stage1_checkpoint,
                                  stage2_config, stage2_checkpoint, device,
                                  stage1_stride=stage1_stride)
    probs, failed, unseen, seconds, implausible = {}, [], [], [], []
    with atomic_dir(out_dir, 'fracture-infer', overwrite,
                    inputs=[path]) as tmp:
        os.makedirs(osp.join(tmp, 'studies'))
        os.makedirs(osp.join(tmp, 'pictures'))
        for uid, folder in tqdm(studies, desc='studies',
                                disable=not progress):
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter('always')
                    result = predictor(folder, uid=uid, **read_kwargs)
            except (DicomSeriesError, FileNotFoundError, ValueError) as e:
                failed.append((uid, str(e)))
                tqdm.write(f'skipped study {uid}: {e}')
                continue
            for w in caught:
                tqdm.write(f'warning: {w.message}')
            if result['uid'] != uid:
                tqdm.write(f'{folder}: StudyInstanceUID {result["uid"]} from '
                           'the headers names the study (not the folder '
                           f'name {uid})')
            uid = result['uid']
            if uid in probs:
                failed.append((uid, f'{folder}: the same StudyInstanceUID '
                               'as an earlier folder (predicted once)'))
                continue
            unseen += [(uid, v) for v in result['unseen']]
            if result['anatomy_problems']:
                implausible.append(uid)
            probs[uid] = result['prob_array']
            seconds.append(sum(result['seconds'].values()))
            atomic_write_json(osp.join(tmp, 'studies', f'{uid}.json'),
                              _study_json(result), indent=1)
            pic = draw_sagittal(result, result['study'].windowed(
                predictor.window))
            cv2.imwrite(osp.join(tmp, 'pictures', f'{uid}.png'), pic)
        write_long_csv(osp.join(tmp, 'submission.csv'), probs)
        summary = dict(studies=len(studies), predicted=len(probs),
                       failed=[dict(uid=u, reason=r) for u, r in failed],
                       unseen=[dict(uid=u, vertebra=v) for u, v in unseen],
                       implausible=implausible,
                       mean_seconds_per_study=float(np.mean(seconds))
                       if seconds else None)
        atomic_write_json(osp.join(tmp, 'summary.json'), summary, indent=1)
    return summary
