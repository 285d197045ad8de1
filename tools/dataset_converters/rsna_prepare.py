"""RSNA 2022: folds + per-slice vertebra ratios for the fracture datasets.

    python tools/dataset_converters/rsna_prepare.py data/rsna \
        --drop relabel.txt --folds 5 --seed 42
Writes train_folds.csv and slice_ratios.csv (into --out, default the root).
"""
import argparse

from spinemm.formats.rsna_prepare import prepare_rsna, read_drop_list


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='RSNA root (train.csv, train_images/, ...)')
    p.add_argument('--out', help='output folder (default: root)')
    p.add_argument('--folds', type=int, default=5)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--drop', help='file of StudyInstanceUIDs to leave out '
                   '(mislabelled studies), one per line')
    a = p.parse_args()
    drop = read_drop_list(a.drop) if a.drop else ()
    s = prepare_rsna(a.root, a.out or a.root, a.folds, a.seed, drop)
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
    main()
