"""AASCE 2019 / SpineWeb 16 AP films -> COCO vertebra json (AP scheme).

    python tools/dataset_converters/aasce2coco.py data/aasce data/aasce_coco \
        [--val-fraction 0.2] [--seed 0] [--overwrite]

Writes annotations/train.json and val.json: one instance per vertebra (T1-L5)
with its level, box (corner extents), polygon and 4 corner keypoints; films
of one patient stay on one side. file_name is relative to ROOT/images.
"""
import argparse

from spinemm.formats.aasce import aasce_to_coco
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='AASCE split folder (images/, labels/)')
    p.add_argument('out', help='output folder (annotations/)')
    p.add_argument('--val-fraction', type=float, default=0.2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--overwrite', action='store_true',
                   help="replace this tool's own earlier output in OUT")
    a = p.parse_args()
    with refusals_as_exit():
        info = aasce_to_coco(a.root, a.out, a.val_fraction, a.seed,
                             a.overwrite)
    print(f'{a.out}: {info["films"]} films of {info["patients"]} patients '
          f'-> train {info["train"]}, val {info["val"]} '
          f'({info["vertebrae"]} vertebrae)')


if __name__ == '__main__':
    main()
