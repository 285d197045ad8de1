"""RSNA 2022 studies with a segmentation -> the VerSe layout, for the
mask-based stage 1 (spinemm's VerSe path trains on it unchanged).

    python tools/dataset_converters/rsna2verse.py data/rsna_phantoms data/rsna_phantoms_verse \
        --val-fold 0 --max-train 60
PREPARED (default: ROOT) holds rsna_prepare.py's train_folds.csv. The
training folds go to dataset-verse19training, --val-fold to
dataset-verse19validation; subjects are sub-rsnaNNNN (subjects.json maps
them to StudyInstanceUIDs). OUT is written atomically and replaced only
when it is an earlier rsna2verse output and --overwrite is given.
"""
import argparse

from spinemm.fracture.masks import rsna_to_verse
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root')
    p.add_argument('out')
    p.add_argument('--prepared', help='folder of train_folds.csv '
                   '(default: ROOT)')
    p.add_argument('--val-fold', type=int, default=0)
    p.add_argument('--max-train', type=int,
                   help='keep the first N training studies')
    p.add_argument('--overwrite', action='store_true')
    a = p.parse_args()
    with refusals_as_exit():
        n = rsna_to_verse(a.root, a.prepared or a.root, a.out, a.val_fold,
                          a.max_train, a.overwrite)
    print(f'{a.out}: {n["training"]} training and {n["validation"]} '
          'validation studies in the VerSe 2019 layout')


if __name__ == '__main__':
    main()
