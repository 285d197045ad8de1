"""Segment whole CT volumes into labelled vertebrae with a spine_seg model
(2D / 2.5D slices) or a verse3d model (3D patches, sliding window).

    python tools/verse_infer.py CONFIG CHECKPOINT INPUT [--out-dir out/]

INPUT is a CT NIfTI file, a folder of them (``*.nii.gz``), a DICOM series
folder (one CT's slices, any transfer syntax pydicom decodes, JPEG 2000
included), a folder of such series folders, or a VerSe root (every
``rawdata/<subject>/<stem>_ct.nii.gz`` under it). A series folder writes
``<folder name>_seg-vert_msk.nii.gz`` (NIfTI, on the series' grid). For each CT it
writes, as VerSe names them: ``<stem>_seg-vert_msk.nii.gz`` (labels on the
CT's own grid), ``<stem>_seg-subreg_ctd.json`` (centroids, VerSe format) and
``<stem>_seg-vert_snapshot.png`` (mid-sagittal slice with the labels), plus
``timings.csv``. A model with one class per level writes VerSe labels; a
binary model writes instance ids 1, 2, ... from head to foot.
A 3D model can first crop the spine with a localizer (--localizer CONFIG
--localizer-checkpoint CKPT: a binary verse3d model on a coarse grid).
Score the masks with tools/analysis_tools/eval_verse.py. --out-dir may not
be, lie in or hold the input; a file of the output names that spinemm did
not write (VerSe's own masks, say) stops the run before any compute,
naming it (--overwrite replaces it). A volume that is not a CT in
Hounsfield units (an MR, a label map, one slice: spinemm.io.ct_checks) is
skipped with the reason; the exit status is 1 when no CT was segmented.
"""
import argparse
import csv
import os.path as osp

import numpy as np

from spinemm.apis.inputs import list_cts, plan_outputs, read_ct
from spinemm.apis.volume_segment import (build_volume_segmenter,
                                         write_verse_prediction)
from spinemm.io.dicom_series import DicomSeriesError
from spinemm.io.ct_checks import NotCTError, check_ct
from spinemm.utils import refusals_as_exit


#: what each CT writes (write_verse_prediction's names)
OUTPUT_SUFFIXES = ('_seg-vert_msk.nii.gz', '_seg-subreg_ctd.json',
                   '_seg-vert_snapshot.png')


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
    p.add_argument('--no-bone-edges', action='store_true',
                   help='anatomy models: keep the model grid\'s blocky '
                   'edges instead of moving them onto the CT\'s bone '
                   '(spinemm.morphometry.bone_edges)')
    p.add_argument('--overwrite', action='store_true',
                   help='replace files of the output names that spinemm '
                   'did not write (e.g. VerSe ground truth: think twice)')
    a = p.parse_args()
    try:
        cts = list_cts(a.input)
    except FileNotFoundError as e:
        raise SystemExit(f'error: {e}') from None
    # every name checked before any compute: a folder holding VerSe's own
    # *_seg-vert_msk.nii.gz (the truth) is refused, naming the file
    plan = plan_outputs(a.out_dir, [s for s, _ in cts], OUTPUT_SUFFIXES,
                        [a.input], a.overwrite, extra=['timings.csv'])
    if bool(a.localizer) != bool(a.localizer_checkpoint):
        raise SystemExit('error: --localizer and --localizer-checkpoint '
                         'go together')
    # an MR, a label map, one slice: refused before the model is built
    good, skipped, first = [], [], None
    for stem, path in cts:
        try:
            ct = read_ct(path)
            check_ct(ct, path)
            good.append((stem, path))
            if len(cts) == 1:  # read once (a DICOM series decodes slowly)
                first = ct
        except (NotCTError, DicomSeriesError) as e:
            print(f'skipped {e}')
            skipped.append(str(e))
    if not good:
        raise SystemExit(f'error: no CT of {a.input} was segmented '
                         f'({len(skipped)} skipped, reasons above)')
    seg = build_volume_segmenter(a.config, a.checkpoint, a.device, a.window,
                                 a.overlap, a.batch_size, a.localizer,
                                 a.localizer_checkpoint)
    if a.no_bone_edges:
        seg.bone_edges = False
    rows = []
    for stem, path in good:
        ct = first if first is not None else read_ct(path)
        result = seg(ct, progress=True)
        paths = write_verse_prediction(result, a.out_dir, stem)
        t = result['seconds']
        found = np.bincount(result['instances'].data.ravel(), minlength=27)
        sacrum = 'anatomy' in result and found[26] > 0  # VerSe 26: sacrum
        n = int(np.count_nonzero(found[1:])) - int(sacrum)
        print(f'{stem}: {n} vertebrae{" + sacrum" if sacrum else ""}, '
              f'shape {ct.data.shape}, '
              f'{t["total"]:.1f} s (network {t["network"]:.1f} s) -> '
              f'{paths[0]}')
        extra = {}
        if 'anatomy' in result:  # levels counted from ribs / sacrum
            r = result['anatomy']
            levels = [lv for lv in r['levels'] if lv]
            print(f'  levels counted from {r["anchor"] or "no cue (a guess)"}'
                  f': {", ".join(levels)}; rib-bearing: '
                  f'{sum(r["rib_bearing"])}'
                  + (f' ({r["bone_ribs"]} by their ribs in the bone only)'
                     if r.get('bone_ribs') else '')
                  + ('' if r['consistent'] is None else
                     f'; cues agree: {r["consistent"]}'))
            if r['consistent'] is False:
                print('  warning: the ribs and the sacrum tell different '
                      'counts (a missed rib, or a transitional column): '
                      'the levels may be off')
            extra = dict(anchor=r['anchor'] or 'none',
                         levels=' '.join(levels))
        rows.append(dict(stem=stem, shape='x'.join(map(str, ct.data.shape)),
                         vertebrae=n, **extra, **{f'{k}_s': round(v, 3)
                                                  for k, v in t.items()}))
    with plan.file(osp.join(a.out_dir, 'timings.csv'), '.csv') as tmp:
        with open(tmp, 'w', newline='') as f:
            w = csv.DictWriter(f, list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    print(f'{len(rows)} CT(s) segmented into {a.out_dir}'
          + (f', {len(skipped)} skipped' if skipped else ''))


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
