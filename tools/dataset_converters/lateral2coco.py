"""Lateral full-spine films (corners C2-S1) -> COCO vertebra json.

    python tools/dataset_converters/lateral2coco.py data/lateral_fullspine \
        data/lateral_coco [--folds 4] [--val-fold 0] [--seed 0] [--overwrite]

ROOT holds images/ and annotations.json (92 named points per film: C2's
inferior endplate, 4 corners of C3..L5, S1's superior endplate). Writes
annotations/{train,val}.json (one instance per annotated vertebra: level,
box = corner extents, polygon, the 4 corners of the lateral scheme;
stretches of the column a film shows but does not annotate as iscrowd
regions) and {train,val}_spine.json (each film as one 92-point instance).
The films are split into --folds folds by a seeded permutation of their
names; fold --val-fold is val. file_name is relative to ROOT/images.
"""
import argparse

from spinemm.formats.lateral_fullspine import lateral_to_coco
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='folder with images/ and annotations.json')
    p.add_argument('out', help='output folder (annotations/)')
    p.add_argument('--folds', type=int, default=4)
    p.add_argument('--val-fold', type=int, default=0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--overwrite', action='store_true',
                   help="replace this tool's own earlier output in OUT")
    a = p.parse_args()
    try:
        counts = lateral_to_coco(a.root, a.out, a.folds, a.val_fold, a.seed,
                                 a.overwrite)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f'error: {e}') from None
    print(f'{a.out}: train {counts["train"]} films, val {counts["val"]} '
          f'(fold {a.val_fold} of {a.folds})')


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
