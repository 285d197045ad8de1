"""VerSe CT slices -> mmseg image/label pairs (img_dir/, ann_dir/).

    python tools/dataset_converters/verse2seg.py data/verse data/verse_seg \
        --mode binary --context 1     # 2.5D: 3-channel PNGs
"""
import argparse

from spinemm.formats.verse_export import verse_to_seg
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='VerSe root (holds the split folders)')
    p.add_argument('out', help='output folder (img_dir/, ann_dir/)')
    p.add_argument('--plane', default='sagittal',
                   choices=['sagittal', 'coronal'])
    p.add_argument('--mode', default='binary', choices=['binary', 'levels'])
    p.add_argument('--context', type=int, default=0,
                   help='neighbouring slices per side as channels (2.5D)')
    p.add_argument('--spacing', type=float, default=1.0, help='mm')
    p.add_argument('--splits', nargs='+', help='split folders to export')
    p.add_argument('--min-pixels', type=int, default=50)
    p.add_argument('--step', type=int, default=1, help='every n-th slice')
    p.add_argument('--overwrite', action='store_true',
                   help="replace this tool's own earlier output in OUT "
                   '(never a folder spinemm did not write)')
    a = p.parse_args()
    with refusals_as_exit():
        info = verse_to_seg(a.root, a.out, a.plane, a.mode, a.context,
                            a.spacing, a.splits, a.min_pixels, a.step,
                            overwrite=a.overwrite)
    print(f'{a.out}: {info["pairs"]} pairs'
          + (' (already exported)' if info.get('unchanged') else ''))


if __name__ == '__main__':
    main()
