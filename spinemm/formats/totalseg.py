"""TotalSegmentator label maps as VerSe vertebra masks.

TotalSegmentator (Wasserthal et al., Radiology: AI 2023) writes either one
multi-label NIfTI (``--ml``; v2 class ids, e.g. 29 = ``vertebrae_L3``) or a
folder with one binary NIfTI per class (``vertebrae_L3.nii.gz``, its
default). Both are read here by class **name**, so a label table that is not
v2's (a ``structures.csv`` / ``--label-csv`` with ``structure`` and ``id``
columns, as the TotalSegmentator dataset ships) maps as well.

VerSe numbering (:data:`spinemm.anatomy.VERSE_LEVELS`): C1-C7 = 1-7, T1-T12 =
8-19, L1-L5 = 20-24, sacrum = 26. TotalSegmentator's ``sacrum`` and
``vertebrae_S1`` both become 26; every other class (organs, ribs, ...) is
background.
"""
import csv
import glob
import os
import os.path as osp

import numpy as np

from ..anatomy import VERSE_LEVELS
from ..io import Volume, label_volume, read_nifti

#: TotalSegmentator v2 class ids of the spine (``totalsegmentator/map_to_
#: binary.py``, task ``total``): 25 sacrum, 26 S1, 27 L5 ... 50 C1.
TOTALSEG_V2_SPINE = {25: 'sacrum', 26: 'vertebrae_S1'}
TOTALSEG_V2_SPINE.update({51 - v: f'vertebrae_{VERSE_LEVELS[v]}'
                          for v in range(1, 25)})


def verse_label_of(name):
    """VerSe label of a TotalSegmentator class name, or None (not spine)."""
    if name in ('sacrum', 'vertebrae_S1'):
        return 26
    if name.startswith('vertebrae_'):
        level = name[len('vertebrae_'):]
        for label, lv in VERSE_LEVELS.items():
            if lv == level:
                return label
    return None


def read_label_table(path):
    """``{class id: class name}`` from a csv with ``structure`` (or
    ``name``) and ``id`` columns."""
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f'{path}: empty label table')
    name_key = 'structure' if 'structure' in rows[0] else 'name'
    if name_key not in rows[0] or 'id' not in rows[0]:
        raise ValueError(f'{path}: a label table needs "structure" (or '
                         f'"name") and "id" columns; it has {list(rows[0])}')
    try:
        return {int(r['id']): r[name_key].strip() for r in rows}
    except ValueError as err:
        raise ValueError(f'{path}: non-integer id ({err})') from err


def totalseg_to_verse(volume: Volume, names=None, source='label map'):
    """A TotalSegmentator multi-label volume with VerSe labels (uint8).

    Args:
        names: ``{class id: name}``; default the v2 table.
    """
    names = TOTALSEG_V2_SPINE if names is None else names
    checked = label_volume(Volume(volume.data, volume.affine,
                                  dict(volume.meta, source=source)),
                           what='TotalSegmentator label map')
    data = checked.data
    lut = np.zeros(int(data.max(initial=0)) + 1, np.uint8)
    for cid, name in names.items():
        label = verse_label_of(name)
        if label is not None and 0 < cid < lut.size:
            lut[cid] = label
    out = lut[data]
    return Volume(out, volume.affine.copy(), dict(volume.meta, source=source))


def read_totalseg(path, label_csv=None):
    """Read a TotalSegmentator output as a VerSe-labelled Volume.

    ``path`` is a multi-label NIfTI (v2 ids unless ``label_csv`` gives the
    table) or a folder of per-class ``vertebrae_*.nii.gz`` / ``sacrum.nii.gz``
    files (all on one grid). A result without any vertebra is an error
    naming the file, since it is almost always the wrong table.
    """
    if osp.isdir(path):
        files = sorted(glob.glob(osp.join(path, 'vertebrae_*.nii.gz')) +
                       glob.glob(osp.join(path, 'sacrum.nii.gz')))
        if not files:
            raise FileNotFoundError(
                f'{path}: no vertebrae_*.nii.gz (TotalSegmentator per-class '
                'output) in this folder')
        out = None
        for f in files:
            part = label_volume(read_nifti(f), what='TotalSegmentator mask')
            if out is None:
                out = Volume(np.zeros(part.data.shape, np.uint8),
                             part.affine.copy(), dict(source=path))
            elif part.data.shape != out.data.shape or \
                    not np.allclose(part.affine, out.affine, atol=1e-3):
                raise ValueError(f'{f}: not on the grid of {files[0]}')
            name = osp.basename(f)[:-len('.nii.gz')]
            out.data[np.asarray(part.data) > 0] = verse_label_of(name)
    else:
        names = read_label_table(label_csv) if label_csv else None
        out = totalseg_to_verse(read_nifti(path), names, source=path)
    if not out.data.any():
        raise ValueError(
            f'{path}: no vertebra class found (TotalSegmentator v2 ids 25-50'
            f'{", or the names in " + label_csv if label_csv else ""}); '
            'pass the label table the file was written with (--label-csv)')
    return out




def totalseg_to_verse_root(cases, out, split='dataset-verse19test',
                           label_csv=None, min_volume_ml=2.0,
                           overwrite=False, numbering='totalseg'):
    """Write CTs with TotalSegmentator labels in the VerSe 2019 layout, so
    ``tools/verse_infer.py`` and ``tools/analysis_tools/eval_verse.py`` take
    them unchanged.

    Args:
        cases: list of (subject, ct path, TotalSegmentator output path).
        min_volume_ml: vertebrae smaller than this (cut by the field of
            view) stay in the mask but get no centroid (their body centroid
            would be wherever the cut is).
        numbering: ``'totalseg'`` (class ids mapped by name) or ``'verse'``
            (the labels are VerSe's already, e.g. TPTBox masks; checked
            against VerSe's label set).

    For each subject: ``rawdata/sub-<s>/sub-<s>_ct.nii.gz`` (int16 HU),
    ``derivatives/sub-<s>/sub-<s>_seg-vert_msk.nii.gz`` (VerSe labels on the
    CT's grid) and ``..._seg-subreg_ctd.json`` (body centroids of the truth
    mask, :mod:`spinemm.evaluation.body_centroids`: TotalSegmentator ships
    no centroids). ``out`` is written atomically; returns per subject
    dict(levels=[...], without_centroid=[...]).
    """
    from ..evaluation.body_centroids import body_centroids
    from ..io import reorient, resample_to, write_nifti
    from ..utils import atomic_dir
    from .verse import write_verse_centroids
    report = {}
    with atomic_dir(out, 'totalseg-verse', overwrite,
                    inputs=[c[1] for c in cases]) as tmp:
        for subject, ct_path, seg_path in cases:
            ct = read_nifti(ct_path)
            data = np.asarray(ct.data)
            if not np.isfinite(data).all():
                raise ValueError(f'{ct_path}: NaN/inf voxels')
            if numbering == 'verse':
                from .verse import VERSE_LABELS
                labels = label_volume(read_nifti(seg_path), VERSE_LABELS,
                                      'VerSe vertebra mask')
            elif numbering == 'totalseg':
                labels = read_totalseg(seg_path, label_csv)
            else:
                raise ValueError(f"numbering is 'totalseg' or 'verse', not "
                                 f'{numbering!r}')
            if labels.data.shape != data.shape or \
                    not np.allclose(labels.affine, ct.affine, atol=1e-3):
                # another grid: onto the CT's by world position
                labels = resample_to(labels, ct, is_label=True)
                labels = Volume(labels.data.astype(np.uint8), ct.affine)
            stem = f'sub-{subject}'
            raw = osp.join(tmp, split, 'rawdata', stem)
            der = osp.join(tmp, split, 'derivatives', stem)
            os.makedirs(raw)
            os.makedirs(der)
            write_nifti(Volume(np.round(data).astype(np.int16), ct.affine),
                        osp.join(raw, f'{stem}_ct.nii.gz'))
            write_nifti(Volume(labels.data, ct.affine),
                        osp.join(der, f'{stem}_seg-vert_msk.nii.gz'))
            voxel_ml = float(np.prod(ct.spacing)) / 1000.0
            counts = np.bincount(labels.data.ravel(), minlength=29)
            small = [v for v in range(1, len(counts))
                     if 0 < counts[v] * voxel_ml < min_volume_ml]
            kept = Volume(np.where(np.isin(labels.data, small), 0,
                                   labels.data).astype(np.uint8), ct.affine)
            centres = body_centroids(kept)
            oriented = reorient(kept, ('P', 'I', 'R'))
            write_verse_centroids(
                osp.join(der, f'{stem}_seg-subreg_ctd.json'), ('P', 'I', 'R'),
                [dict(label=v, voxel=oriented.world_to_voxel(p)[0])
                 for v, p in sorted(centres.items())])
            report[subject] = dict(
                levels=[VERSE_LEVELS[v] for v in range(1, len(counts))
                        if counts[v] and v in VERSE_LEVELS],
                without_centroid=[VERSE_LEVELS.get(v, str(v)) for v in small])
    return report


__all__ = ['TOTALSEG_V2_SPINE', 'verse_label_of', 'read_label_table',
           'totalseg_to_verse', 'read_totalseg', 'totalseg_to_verse_root']
