"""DICOM file(s) -> PNG (same relative paths), windowed to 8 bits.

    python tools/dataset_converters/dicom2png.py scans/ pngs/ --window 400 1800
"""
import argparse

from spinemm.io.export import dicom_to_png


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('src', help='a DICOM file or a folder (searched '
                   'recursively)')
    p.add_argument('out', help='output folder')
    p.add_argument('--window', nargs=2, type=float, metavar=('LEVEL', 'WIDTH'),
                   help='window (default: the file\'s VOI LUT / window)')
    a = p.parse_args()
    done = dicom_to_png(a.src, a.out, a.window)
    print(f'{done["written"]} PNG file(s) written under {a.out}'
          + (f', {done["kept"]} already there (kept)' if done['kept'] else ''))


if __name__ == '__main__':
    main()
