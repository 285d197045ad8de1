"""Real label maps (TotalSegmentator classes) -> CT templates, the input of
the synthetic-CT training (spinemm.synthesis; configs/ct_synth).

    python tools/dataset_converters/make_ct_templates.py OUT \
        --case NAME CT.nii.gz SEG.nii.gz [--case ...] [--table NAME structures.csv]

SEG holds TotalSegmentator v2 class ids, or the ids of the label table
given for its case with --table (columns structure,id). CT is the scan SEG
labels (on its grid), or "-" for none. Each template becomes
OUT/NAME/codes.nii.gz (spinemm.synthesis.anatomy_codes) and OUT/NAME/ct.nii.gz.
OUT is written atomically.

    python tools/dataset_converters/make_ct_templates.py OUT --phantoms N [--seed S]

writes N anatomical CT phantoms (spinemm.phantoms.ct_anatomy: ribs, sacrum,
pelvis, organs; random column variant and field of view) as templates
phantom000 ... instead.
"""
import argparse

from spinemm.synthesis.templates import (write_phantom_templates,
                                         write_templates)
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('out')
    p.add_argument('--case', nargs=3, action='append', default=[],
                   metavar=('NAME', 'CT', 'SEG'))
    p.add_argument('--phantoms', type=int, default=0, metavar='N',
                   help='write N anatomical CT phantoms instead of cases')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--table', nargs=2, action='append', default=[],
                   metavar=('NAME', 'CSV'), help='label table of one case')
    p.add_argument('--overwrite', action='store_true')
    a = p.parse_args()
    if bool(a.case) == bool(a.phantoms):
        p.error('give either --case (one or more) or --phantoms N')
    cases = [(n, None if ct == '-' else ct, seg) for n, ct, seg in a.case]
    with refusals_as_exit():
        summary = write_phantom_templates(
            a.out, a.phantoms, a.seed, overwrite=a.overwrite) \
            if a.phantoms else \
            write_templates(cases, a.out, dict(a.table), a.overwrite)
    from spinemm.anatomy import VERSE_LEVELS
    for name, s in summary.items():
        v = s['vertebrae']
        print(f'{name}: {VERSE_LEVELS.get(v[0], v[0])}-'
              f'{VERSE_LEVELS.get(v[-1], v[-1])} ({len(v)} vertebrae), '
              f'{s["ribs"]} ribs, sacrum {"yes" if s["sacrum"] else "no"}, '
              f'{"with" if s["ct"] else "without"} CT'
              + (f', {s["phantom"]["variant"]} column, {s["phantom"]["fov"]}'
                 ' field of view' if 'phantom' in s else ''))
    print(f'{a.out}: {len(summary)} template(s)')


if __name__ == '__main__':
    main()
