"""Write phantom datasets with exact ground truth.

    # radiographs: PNG + COCO
    python tools/misc/make_phantoms.py data/phantom2d
    # lateral DRRs of CT phantoms: PNG + COCO
    python tools/misc/make_phantoms.py data/drr2d --kind drr
    # CT in the VerSe 2019 / 2020 layout; + a validation split; fixed levels
    python tools/misc/make_phantoms.py data/verse_phantoms --kind verse2019
    python tools/misc/make_phantoms.py data/verse_phantoms --kind verse2020 --num-images 5
    python tools/misc/make_phantoms.py data/verse_phantoms --kind verse2020 --val-cases 2
    python tools/misc/make_phantoms.py data/verse_phantoms --kind verse2020 \\
        --levels T12 L1 L2 L3 L4 L5
    # anatomical CT phantoms of one field of view, VerSe 2019 test layout
    # (neck: skull base to C6, no rib; seeds 1000 * --seed + i)
    python tools/misc/make_phantoms.py data/neck_phantoms --kind ct-anatomy \
        --fov neck --num-images 8 --seed 5
    # SpineTK layout (src + augs)
    python tools/misc/make_phantoms.py data/spinetk_phantoms --kind spinetk
    # cervical CT in the RSNA 2022 layout (fracture labels in train.csv)
    python tools/misc/make_phantoms.py data/rsna_phantoms --kind rsna \
        --num-images 150 --fracture-prob 0.1 --reversed-every 4

A radiograph folder already written with the same parameters is left as it
is; every dataset is written under a temporary name and renamed when complete.
An existing output folder is replaced only when it is an earlier phantom set
of the same kind and --overwrite is given: a folder holding anything else
(your own data) is never touched.
"""
import argparse
import time

from spinemm.phantoms import (
    write_anatomy_verse_phantoms,
    write_radiograph_dataset,
    write_rsna_phantoms,
    write_spinetk_phantoms,
    write_verse_phantoms,
)
from spinemm.phantoms.ct_anatomy import FIELDS_OF_VIEW
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('out_dir', nargs='?', default='data/phantom2d')
    p.add_argument('--kind', default='radiograph',
                   choices=['radiograph', 'drr', 'verse2019', 'verse2020',
                            'spinetk', 'rsna', 'ct-anatomy'])
    p.add_argument('--fov', default='neck', choices=FIELDS_OF_VIEW,
                   help='ct-anatomy: the field of view')
    p.add_argument('--num-images', type=int, default=None,
                   help='images (radiograph, default 200) or CT cases '
                   '(verse, default 3; ct-anatomy, default 8) or cases (spinetk, default 20) or '
                   'studies (rsna, default 3)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--val-fraction', type=float, default=0.2)
    p.add_argument('--val-cases', type=int, default=0,
                   help='verse: also write a validation split of N cases')
    p.add_argument('--image-size', type=int, default=256)
    p.add_argument('--num-vertebrae', type=int, nargs=2, default=None,
                   metavar=('MIN', 'MAX'))
    p.add_argument('--levels', nargs='+', metavar='LEVEL',
                   help='verse: the same levels in every case, superior '
                   'first (default: a random run of --num-vertebrae)')
    p.add_argument('--fracture-prob', type=float, default=0.1,
                   help='rsna: chance that a vertebra is fractured '
                   '(0.1 fractures about half the studies)')
    p.add_argument('--reversed-every', type=int, default=4,
                   help='rsna: every N-th study numbered from the feet up '
                   '(0: none)')
    p.add_argument('--spacing', type=float, default=None,
                   help='rsna: isotropic voxel size, mm (default 1.0); '
                   'ct-anatomy: default 1.5')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an earlier phantom set of the same kind '
                   'in OUT_DIR (never anything else)')
    args = p.parse_args()
    with refusals_as_exit():
        run(args)


def run(args):
    start = time.time()
    if args.kind in ('radiograph', 'drr'):
        default_n = (5, 17) if args.kind == 'radiograph' else (4, 7)
        info = write_radiograph_dataset(
            args.out_dir, num_images=args.num_images or 200, seed=args.seed,
            val_fraction=args.val_fraction, image_size=args.image_size,
            num_vertebrae=tuple(args.num_vertebrae or default_n),
            kind=args.kind, overwrite=args.overwrite)
        print(f'{args.out_dir}: {info["num_images"]} {args.kind} phantoms '
              f'(seed {info["seed"]}) ready in {time.time() - start:.1f} s')
    elif args.kind == 'spinetk':
        write_spinetk_phantoms(args.out_dir, num_cases=args.num_images or 20,
                               image_size=args.image_size, seed=args.seed,
                               overwrite=args.overwrite)
        print(f'{args.out_dir}: SpineTK phantom cases ready in '
              f'{time.time() - start:.1f} s')
    elif args.kind == 'rsna':
        truth = write_rsna_phantoms(
            args.out_dir, num_studies=args.num_images or 3, seed=args.seed,
            fracture_prob=args.fracture_prob,
            reversed_every=args.reversed_every, spacing=args.spacing or 1.0,
            overwrite=args.overwrite)
        fractured = sum(any(v['genant_grade'] and v['level'] != 'T1'
                            for v in verts) for verts in truth.values())
        print(f'{args.out_dir}: {len(truth)} RSNA phantom studies '
              f'({fractured} with a cervical fracture) ready in '
              f'{time.time() - start:.1f} s')
    elif args.kind == 'ct-anatomy':
        split = write_anatomy_verse_phantoms(
            args.out_dir, args.fov, num_cases=args.num_images or 8,
            seed=args.seed, spacing=args.spacing or 1.5,
            overwrite=args.overwrite)
        print(f'{split}: {args.fov} anatomical CT phantoms ready in '
              f'{time.time() - start:.1f} s')
    else:
        release = int(args.kind[-4:])
        split = write_verse_phantoms(
            args.out_dir, release=release, num_cases=args.num_images or 3,
            seed=args.seed, num_vertebrae=tuple(args.num_vertebrae or (4, 7)),
            levels=args.levels, overwrite=args.overwrite)
        print(f'{split}: VerSe {release} phantom cases ready in '
              f'{time.time() - start:.1f} s')
        if args.val_cases:
            split = write_verse_phantoms(
                args.out_dir, release=release, num_cases=args.val_cases,
                seed=args.seed, split=1, levels=args.levels,
                overwrite=args.overwrite,
                num_vertebrae=tuple(args.num_vertebrae or (4, 7)))
            print(f'{split}: {args.val_cases} validation cases')


if __name__ == '__main__':
    main()
