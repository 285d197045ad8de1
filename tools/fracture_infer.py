"""RSNA 2022 fracture inference: CT studies -> per-vertebra probabilities.

    python tools/fracture_infer.py STAGE1_CONFIG STAGE1_CKPT \
        STAGE2_CONFIG STAGE2_CKPT STUDY_DIR_OR_ROOT --out-dir OUT

STUDY_DIR_OR_ROOT is one DICOM series folder or a root of them (the RSNA
test_images/ layout); a CT NIfTI file (or NIfTI files in the root) works
too. OUT gets submission.csv (Kaggle format, rows
<StudyInstanceUID>_<patient_overall|C1..C7>), studies/<uid>.json (the
probabilities, the slices used per vertebra, the stage-1 box),
pictures/<uid>.png (a mid-sagittal reformat with C1-C7 outlined over their
visible slices, coloured by probability) and summary.json (skipped studies
with their reasons, vertebrae given the prior). Reversed slice numbering is
handled (slices are ordered by position). A study's row_id is its
StudyInstanceUID from the headers. Studies that are not axial CT (an MR, a
sagittal series, one slice: spinemm.io.ct_checks) are skipped with the
reason; the exit status is 1 when no study was predicted. OUT is written
atomically and replaced only when it is an earlier fracture_infer output
and --overwrite is given.
"""
import argparse

from spinemm.fracture.study_infer import run_fracture_inference
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('stage1_config')
    p.add_argument('stage1_checkpoint')
    p.add_argument('stage2_config')
    p.add_argument('stage2_checkpoint')
    p.add_argument('input', help='a DICOM series folder or a root of them')
    p.add_argument('--out-dir', default='outputs/fracture')
    p.add_argument('--device', default='cpu')
    p.add_argument('--skip-bad', action='store_true',
                   help='skip unreadable DICOM files inside a series')
    p.add_argument('--gaps', choices=['error', 'resample'], default='error',
                   help='a series with missing slices: refuse it (default) '
                   'or interpolate onto a uniform grid')
    p.add_argument('--stage1-stride', type=int, default=1,
                   help='run stage 1 on every N-th slice and interpolate '
                   '(2 halves its time; see benchmark_fracture.py)')
    p.add_argument('--overwrite', action='store_true')
    a = p.parse_args()
    with refusals_as_exit():
        s = run_fracture_inference(
            a.stage1_config, a.stage1_checkpoint, a.stage2_config,
            a.stage2_checkpoint, a.input, a.out_dir, a.device,
            overwrite=a.overwrite, stage1_stride=a.stage1_stride,
            skip_bad=a.skip_bad, gaps=a.gaps)
    print(f'{a.out_dir}: {s["predicted"]} of {s["studies"]} studies '
          f'predicted, {len(s["failed"])} skipped, {len(s["unseen"])} '
          'vertebra(e) given the prior; '
          f'{s["mean_seconds_per_study"] or 0:.2f} s per study')
    if s['implausible']:
        print(f'  {len(s["implausible"])} study(ies) with implausible stage-1 '
              'vertebra runs (see their JSON: anatomy_problems): '
              + ', '.join(s['implausible'][:5]))
    for f in s['failed']:
        print(f'  skipped {f["uid"]}: {f["reason"]}')
    if not s['predicted']:
        raise SystemExit(f'error: no study of {a.input} was predicted '
                         f'({len(s["failed"])} skipped, reasons above and in '
                         f'{a.out_dir}/summary.json)')


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
