"""CTs labelled by TotalSegmentator -> the VerSe 2019 layout, so that
tools/verse_infer.py and tools/analysis_tools/eval_verse.py run on them.

    python tools/dataset_converters/totalseg2verse.py OUT \
        --case NAME CT.nii.gz SEG [--case ...] [--label-csv structures.csv]

SEG is TotalSegmentator's multi-label NIfTI (v2 class ids, or the ids of
--label-csv: columns structure,id) or its folder of per-class files. Labels
become VerSe numbering (C1-C7 = 1-7, T1-T12 = 8-19, L1-L5 = 20-24, sacrum
26); other classes are dropped. --numbering verse takes SEG's labels as
VerSe's (checked against VerSe's set). The centroid json holds the truth mask's
vertebral-body centroids, except for vertebrae under --min-volume-ml (cut
by the field of view). OUT is written atomically.
"""
import argparse

from spinemm.formats.totalseg import totalseg_to_verse_root
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('out')
    p.add_argument('--case', nargs=3, action='append', required=True,
                   metavar=('NAME', 'CT', 'SEG'))
    p.add_argument('--label-csv', help='label table of SEG (default: '
                   'TotalSegmentator v2 ids)')
    p.add_argument('--split', default='dataset-verse19test')
    p.add_argument('--min-volume-ml', type=float, default=2.0)
    p.add_argument('--numbering', choices=('totalseg', 'verse'),
                   default='totalseg', help='verse: SEG holds VerSe labels '
                   'already (e.g. TPTBox masks)')
    p.add_argument('--overwrite', action='store_true')
    a = p.parse_args()
    with refusals_as_exit():
        report = totalseg_to_verse_root(a.case, a.out, a.split, a.label_csv,
                                        a.min_volume_ml, a.overwrite,
                                        a.numbering)
    for name, r in report.items():
        cut = (f'; no centroid (cut off): {", ".join(r["without_centroid"])}'
               if r['without_centroid'] else '')
        print(f'sub-{name}: {r["levels"][0]}-{r["levels"][-1]} '
              f'({len(r["levels"])} vertebrae){cut}')
    print(f'{a.out}: {len(report)} case(s) in the VerSe 2019 layout')


if __name__ == '__main__':
    main()
