"""SpineTK folder (case/src, case/augs, metadata.json) -> COCO vertebra json.

    python tools/dataset_converters/spinetk2coco.py data/spinetk data/spinetk/coco \
        --strat-var hardware --seed 100
Writes train.json (source + augmented images), val.json and test.json
(source images only), split by case and stratified by --strat-var.
"""
import argparse

from spinemm.formats.spinetk import spinetk_to_coco


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='SpineTK baseline directory')
    p.add_argument('out', help='output folder for {train,val,test}.json')
    p.add_argument('--strat-var', default='hardware',
                   help="metadata.json variable to stratify by ('none' for "
                   'no stratification)')
    p.add_argument('--seed', type=int, default=100)
    a = p.parse_args()
    splits = spinetk_to_coco(a.root, a.out,
                             None if a.strat_var == 'none' else a.strat_var,
                             a.seed)
    print(', '.join(f'{k}: {len(v)} cases' for k, v in splits.items()))


if __name__ == '__main__':
    main()
