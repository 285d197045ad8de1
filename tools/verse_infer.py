"""Segment whole CT volumes into labelled vertebrae with a spine_seg model
(2D / 2.5D slices) or a verse3d model (3D patches, sliding window).

    python tools/verse_infer.py CONFIG CHECKPOINT INPUT [--out-dir out/]

INPUT is a CT NIfTI file, a folder of them (``*.nii.gz``), or a VerSe root
(every ``rawdata/<subject>/<stem>_ct.nii.gz`` under it). For each CT it
writes, as VerSe names them: ``<stem>_seg-vert_msk.nii.gz`` (labels on the
CT's own grid), ``<stem>_seg-subreg_ctd.json`` (centroids, VerSe format) and
``<stem>_seg-vert_snapshot.png`` (mid-sagittal slice with the labels), plus
``timings.csv``. A model with one class per level writes VerSe labels; a
binary model writes instance ids 1, 2, ... from head to foot.
A 3D model can first crop the spine with a localizer (--localizer CONFIG
--localizer-checkpoint CKPT: a binary verse3d model on a coarse grid).
Score the masks with tools/analysis_tools/eval_verse.py. --out-dir may not
be, lie in or hold the input (it would overwrite VerSe's own masks).
"""
import argparse
import csv
import glob
import os.path as osp

import numpy as np

from spinemm.apis.inputs import prepare_out_dir
from spinemm.apis.volume_segment import (build_volume_segmenter,
                                         write_verse_prediction)
from spinemm.formats.verse import index_verse
from spinemm.io import read_nifti
from spinemm.utils import atomic_file, refusals_as_exit


def list_cts(path):
    """(stem, path) of every CT to segment under ``path``: a file, a VerSe
    root (through :func:`spinemm.formats.verse.index_verse`) or a flat folder
    of NIfTI files."""
    if osp.isfile(path):
        files = [path]
    elif osp.isdir(path):
        try:
            return [(c['stem'], c['ct']) for c in index_verse(path)]
        except FileNotFoundError:  # not a VerSe layout: a flat folder
            files = sorted(glob.glob(osp.join(path, '*.nii.gz'))
                           + glob.glob(osp.join(path, '*.nii')))
    else:
        raise SystemExit(f'error: no such file or folder: {path}')
    if not files:
        raise SystemExit(f'error: no CT NIfTI (*.nii.gz) in {path}')
    out = []
    for f in files:
        name = osp.basename(f)
        for suffix in ('_ct.nii.gz', '.nii.gz', '.nii'):
            if name.endswith(suffix):
                out.append((name[:-len(suffix)], f))
                break
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('input')
    p.add_argument('--out-dir', default='outputs/verse')
    p.add_argument('--device', default='cpu')
    p.add_argument('--window', type=int,
                   help="2.5D: a sliding window of this side (px) instead "
                   "of the config's model.test_cfg (default: the test loop's"
                   " inference, whole slabs for the shipped configs)")
    p.add_argument('--overlap', type=float,
                   help='window overlap (default 0.25, 3D: the config\'s)')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--localizer', help='3D models: config of a spine '
                   'localizer that crops the CT first')
    p.add_argument('--localizer-checkpoint')
    a = p.parse_args()
    cts = list_cts(a.input)
    with refusals_as_exit():  # e.g. a VerSe derivatives folder: the truth
        prepare_out_dir(a.out_dir, [a.input])
    if bool(a.localizer) != bool(a.localizer_checkpoint):
        raise SystemExit('error: --localizer and --localizer-checkpoint '
                         'go together')
    seg = build_volume_segmenter(a.config, a.checkpoint, a.device, a.window,
                                 a.overlap, a.batch_size, a.localizer,
                                 a.localizer_checkpoint)
    rows = []
    for stem, path in cts:
        ct = read_nifti(path)
        result = seg(ct, progress=True)
        paths = write_verse_prediction(result, a.out_dir, stem)
        t = result['seconds']
        n = int(np.count_nonzero(np.bincount(
            result['instances'].data.ravel(), minlength=1)[1:]))
        print(f'{stem}: {n} vertebrae, shape {ct.data.shape}, '
              f'{t["total"]:.1f} s (network {t["network"]:.1f} s) -> '
              f'{paths[0]}')
        rows.append(dict(stem=stem, shape='x'.join(map(str, ct.data.shape)),
                         vertebrae=n, **{f'{k}_s': round(v, 3)
                                         for k, v in t.items()}))
    with atomic_file(osp.join(a.out_dir, 'timings.csv'), '.csv') as tmp:
        with open(tmp, 'w', newline='') as f:
            w = csv.DictWriter(f, list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    print(f'{len(rows)} CT(s) segmented into {a.out_dir}')


if __name__ == '__main__':
    main()
