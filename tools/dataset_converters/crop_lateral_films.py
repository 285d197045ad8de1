"""Lumbar- or cervical-only films cut out of lateral full-spine films.

    python tools/dataset_converters/crop_lateral_films.py data/lateral_fullspine \
        data/lateral_lumbar --region lumbar [--overwrite]

ROOT holds images/ and annotations.json (the layout of lateral2coco.py).
Writes OUT in the same layout: each film cut to the rows from T11 (less
0.6 of a vertebra) to the sacrum (1.5 vertebrae below S1's endplate) for
--region lumbar, or from the dens to T2 for --region cervical, at the
film's own resolution; vertebrae wholly inside keep their points, the
others are left unannotated; --implants SEED paints fusion hardware on
each (spinemm.synthesis.implants: painted, not imaged). Same film names, so lateral2coco.py's folds
(and eval_lateral.py --split val) pick the same films.
"""
import argparse

from spinemm.formats.lateral_crops import REGIONS, crop_lateral_films
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='folder with images/ and annotations.json')
    p.add_argument('out', help='output folder (same layout)')
    p.add_argument('--region', choices=sorted(REGIONS), default='lumbar')
    p.add_argument('--implants', type=int, metavar='SEED',
                   help='paint pedicle screws, rods and cages over 2-5 '
                   'vertebrae of each film (seeded; the levels are listed '
                   'in annotations.json)')
    p.add_argument('--overwrite', action='store_true',
                   help="replace this tool's own earlier output in OUT")
    a = p.parse_args()
    try:
        n = crop_lateral_films(a.root, a.out, a.region, a.overwrite,
                               a.implants)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f'error: {e}') from None
    print(f'{a.out}: {n} {a.region} films')


if __name__ == '__main__':
    with refusals_as_exit():
        main()
