"""SpineTK folder (case/src, case/augs, metadata.json) -> COCO vertebra json.

    python tools/dataset_converters/spinetk2coco.py data/spinetk data/spinetk/coco \
        --strat-var hardware --seed 100
Writes train.json (source + augmented images), val.json and test.json
(source images only), split by case and stratified by --strat-var.
OUT may lie inside ROOT (file names in the json are relative to ROOT), but
may not be ROOT or hold it, nor be any folder spinemm did not write; an
earlier output of this tool is replaced only with --overwrite.
"""
import argparse

from spinemm.formats.spinetk import spinetk_to_coco
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='SpineTK baseline directory')
    p.add_argument('out', help='output folder for {train,val,test}.json')
    p.add_argument('--strat-var', default='hardware',
                   help="metadata.json variable to stratify by ('none' for "
                   'no stratification)')
    p.add_argument('--seed', type=int, default=100)
    p.add_argument('--overwrite', action='store_true',
                   help="replace this tool's own earlier output in OUT "
                   '(never a folder spinemm did not write)')
    a = p.parse_args()
    with refusals_as_exit():
        strat = None if a.strat_var == 'none' else a.strat_var
        splits = spinetk_to_coco(a.root, a.out, strat, a.seed,
                                 overwrite=a.overwrite)
    print(', '.join(f'{k}: {len(v)} cases' for k, v in splits.items()))


if __name__ == '__main__':
    main()
