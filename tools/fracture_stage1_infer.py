"""RSNA stage 1 over every study of a root: the predicted per-slice ratio
and box file that stage 2 trains and validates on (the RSNA seed's way).

    python tools/fracture_stage1_infer.py \
        configs/fracture/rsna-stage1_r18-2.5d_phantom-cpu.py \
        work_dirs/rsna_stage1/best.pth data/rsna_phantoms \
        --out work_dirs/rsna_stage1/pred_ratios.csv
Studies without a segmentation are predicted too. The file is written
atomically; an existing one is replaced only with --overwrite. With a
segmentation config (the mask-based stage 1, configs/fracture/
rsna-stage1-seg_*) the ratios and boxes come from its vertebra masks, and
the masks are written to --mask-dir for stage 2.
"""
import argparse
import os.path as osp
import sys

from spinemm.fracture.stage1_file import write_predicted_ratios


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
    p.add_argument('--overwrite', action='store_true',
                   help='replace an existing --out file')
    a = p.parse_args()
    if osp.exists(a.out) and not a.overwrite:
        sys.exit(f'error: {a.out} exists: pass --overwrite to replace it, '
                 'or choose another --out')
    mask_dir = a.mask_dir or osp.splitext(a.out)[0] + '_masks'
    s = write_predicted_ratios(a.config, a.checkpoint, a.root, a.out,
                               a.images, a.device, a.batch_size,
                               mask_dir=mask_dir)
    print(f'{a.out}: {s["slices"]} slices of {s["studies"]} studies')


if __name__ == '__main__':
    main()
