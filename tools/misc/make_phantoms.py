"""Write the 2D radiograph phantom dataset (PNG + COCO json + meta json).

    python tools/misc/make_phantoms.py data/phantom2d [--num-images 200]

A folder already written with the same parameters is left as it is.
"""
import argparse
import time

from spinemm.phantoms import write_radiograph_dataset


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('out_dir', nargs='?', default='data/phantom2d')
    p.add_argument('--num-images', type=int, default=200)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--val-fraction', type=float, default=0.2)
    p.add_argument('--image-size', type=int, default=256)
    p.add_argument('--num-vertebrae', type=int, nargs=2, default=(5, 17),
                   metavar=('MIN', 'MAX'))
    args = p.parse_args()
    start = time.time()
    info = write_radiograph_dataset(
        args.out_dir, num_images=args.num_images, seed=args.seed,
        val_fraction=args.val_fraction, image_size=args.image_size,
        num_vertebrae=tuple(args.num_vertebrae))
    print(f'{args.out_dir}: {info["num_images"]} phantom radiographs '
          f'(seed {info["seed"]}) ready in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
