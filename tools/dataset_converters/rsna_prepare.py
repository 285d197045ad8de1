"""RSNA 2022: folds + per-slice vertebra ratios for the fracture datasets.

    python tools/dataset_converters/rsna_prepare.py data/rsna \
        --drop relabel.txt --folds 5 --seed 42
Writes train_folds.csv and slice_ratios.csv (into --out, default the root).
Files of those names that spinemm did not write (your own folds) stop the
run before it reads a study, naming the file (--overwrite replaces them);
--out may not be or lie in train_images/ or segmentations/.
"""
import argparse
import os.path as osp

from spinemm.formats.rsna_prepare import prepare_rsna, read_drop_list
from spinemm.utils import OutputPlan, refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='RSNA root (train.csv, train_images/, ...)')
    p.add_argument('--out', help='output folder (default: root)')
    p.add_argument('--folds', type=int, default=5)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--drop', help='file of StudyInstanceUIDs to leave out '
                   '(mislabelled studies), one per line')
    p.add_argument('--overwrite', action='store_true',
                   help='replace files of the output names that spinemm '
                   'did not write')
    a = p.parse_args()
    out = a.out or a.root
    inputs = [osp.join(a.root, n) for n in ('train.csv', 'train_images',
                                            'segmentations')]
    with refusals_as_exit():
        OutputPlan(a.overwrite, [i for i in inputs if osp.exists(i)], [
            osp.join(out, n) for n in ('train_folds.csv', 'slice_ratios.csv')
        ]).check()
    drop = read_drop_list(a.drop) if a.drop else ()
    s = prepare_rsna(a.root, out, a.folds, a.seed, drop)
    print(f'{s["studies"]} studies in {a.folds} folds '
          f'({s["dropped"]} dropped), {s["with_segmentation"]} with '
          f'segmentation, {s["reversed"]} in reverse slice order')
    for key, what in (('without_images', 'in train.csv without images'),
                      ('unlabelled', 'in train_images/ without labels'),
                      ('misaligned', 'whose segmentation is not on bone')):
        if s[key]:
            print(f'left out {len(s[key])} study(ies) {what}: '
                  + ', '.join(s[key][:5]))


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
