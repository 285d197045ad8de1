"""DICOM file(s) -> PNG (same relative paths), windowed to 8 bits.

    python tools/dataset_converters/dicom2png.py scans/ pngs/ --window 400 1800
A rerun keeps the PNGs it wrote with the same window and rewrites those of
another; a PNG of an output name that spinemm did not write stops the run
before the first file, naming it (--overwrite replaces it).
"""
import argparse

from spinemm.io.export import dicom_to_png
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('src', help='a DICOM file or a folder (searched '
                   'recursively)')
    p.add_argument('out', help='output folder')
    p.add_argument('--window', nargs=2, type=float, metavar=('LEVEL', 'WIDTH'),
                   help='window (default: the file\'s VOI LUT / window)')
    p.add_argument('--overwrite', action='store_true',
                   help='replace PNGs of the output names that spinemm did '
                   'not write')
    a = p.parse_args()
    with refusals_as_exit():
        done = dicom_to_png(a.src, a.out, a.window, overwrite=a.overwrite)
    print(f'{done["written"]} PNG file(s) written under {a.out}'
          + (f', {done["kept"]} already there (kept)' if done['kept'] else ''))


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
