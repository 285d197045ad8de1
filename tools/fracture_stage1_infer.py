"""RSNA stage 1 over every study of a root: the predicted per-slice ratio
and box file that stage 2 trains and validates on (the RSNA seed's way).

    python tools/fracture_stage1_infer.py \
        configs/fracture/rsna-stage1_r18-2.5d_phantom-cpu.py \
        work_dirs/rsna_stage1/best.pth data/rsna_phantoms \
        --out work_dirs/rsna_stage1/pred_ratios.csv
Studies without a segmentation are predicted too; rows are keyed by each
study's StudyInstanceUID from its headers. A study that cannot be read or is
not an axial CT is skipped with its reason (--skip-bad skips unreadable
files inside a series instead), and the run ends with a summary; the exit
status is 1 when no study was predicted. The file is written atomically; an
existing file that spinemm did not write is refused before any compute
(--overwrite replaces it), and no output may lie in the images folder. With a
segmentation config (the mask-based stage 1, configs/fracture/
rsna-stage1-seg_*) the ratios and boxes come from its vertebra masks, and
the masks are written to --mask-dir for stage 2.
"""
import argparse
import os.path as osp

from spinemm.fracture.stage1_file import write_predicted_ratios
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('root', help='RSNA root (its train_images/ is read)')
    p.add_argument('--out', required=True, help='ratio file to write (.csv)')
    p.add_argument('--images', default='train_images',
                   help='folder of study folders under ROOT')
    p.add_argument('--device', default='cpu')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--mask-dir', help='where the mask-based stage 1 writes '
                   '<uid>.npz (default: beside --out, <out stem>_masks/)')
    p.add_argument('--skip-bad', action='store_true',
                   help='skip unreadable DICOM files inside a series (else '
                   'the study is skipped)')
    p.add_argument('--gaps', choices=['error', 'resample'], default='error',
                   help='a series with missing slices: skip the study '
                   '(default) or interpolate onto a uniform grid')
    p.add_argument('--overwrite', action='store_true',
                   help='replace output files that spinemm did not write')
    a = p.parse_args()
    mask_dir = a.mask_dir or osp.splitext(a.out)[0] + '_masks'
    try:
        with refusals_as_exit():
            s = write_predicted_ratios(
                a.config, a.checkpoint, a.root, a.out, a.images, a.device,
                a.batch_size, mask_dir=mask_dir, skip_bad=a.skip_bad,
                overwrite=a.overwrite, gaps=a.gaps)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f'error: {e}') from None
    print(f'{a.out}: {s["slices"]} slices of {s["predicted"]} of '
          f'{s["studies"]} studies, {len(s["failed"])} skipped')
    for f in s['failed']:
        print(f'  skipped {f["uid"]}: {f["reason"]}')


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
