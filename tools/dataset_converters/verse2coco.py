"""VerSe CT slices -> COCO vertebra json + PNG images (for mmdet configs).

    python tools/dataset_converters/verse2coco.py data/verse data/verse_coco
"""
import argparse

from spinemm.formats.verse_export import verse_to_coco
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='VerSe root (holds the split folders)')
    p.add_argument('out', help='output folder (images/, annotations/)')
    p.add_argument('--plane', default='sagittal',
                   choices=['sagittal', 'coronal'])
    p.add_argument('--per-level', action='store_true',
                   help='one category per level instead of "vertebra"')
    p.add_argument('--spacing', type=float, default=1.0, help='mm')
    p.add_argument('--splits', nargs='+', help='split folders to export')
    p.add_argument('--min-pixels', type=int, default=200,
                   help='vertebra pixels a slice needs to be exported')
    p.add_argument('--step', type=int, default=1, help='every n-th slice')
    p.add_argument('--overwrite', action='store_true',
                   help="replace this tool's own earlier output in OUT "
                   '(never a folder spinemm did not write)')
    a = p.parse_args()
    with refusals_as_exit():
        info = verse_to_coco(a.root, a.out, a.plane, a.per_level, a.spacing,
                             a.splits, a.min_pixels, a.step,
                             overwrite=a.overwrite)
    print(f'{a.out}: {info["images"]} images, '
          f'{info["annotations"]} vertebrae'
          + (' (already exported)' if info.get('unchanged') else ''))


if __name__ == '__main__':
    main()
