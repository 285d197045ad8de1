"""Levels counted from the ribs, the sacrum and the skull on the exact
labels of anatomical CT phantoms (every column variant x field of view): what the
counting rule (spinemm.morphometry.ct_levels) gets right when the
segmentation is perfect.

    python tools/analysis_tools/ct_levels_on_phantoms.py [--per-cell 3] [--seed 1]

Prints, per variant and field of view, the vertebrae identified / scored
and the anchors counted from. Phantoms only: the figures are about the rule.
"""
import argparse
from collections import Counter, defaultdict

from tqdm import tqdm

from spinemm.evaluation.ct_levels_truth import count_on_truth
from spinemm.phantoms.ct_anatomy import (DRAWN_FIELDS_OF_VIEW,
                                         FIELDS_OF_VIEW,
                                         make_anatomy_phantom)
from spinemm.phantoms.ct_column import VARIANTS
from spinemm.seg.volume_labels import to_model_grid


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--per-cell', type=int, default=3,
                   help='phantoms per variant and field of view')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--spacing', type=float, default=3.0,
                   help='phantom grid (mm); counted on the 2 mm model grid')
    a = p.parse_args()
    # the fields a phantom draws at random first, then 'neck' (added
    # later): each cell keeps the seeds it had before
    drawn = list(DRAWN_FIELDS_OF_VIEW)
    cells = [(v, f) for v in VARIANTS for f in drawn] + \
        [(v, f) for f in FIELDS_OF_VIEW if f not in drawn for v in VARIANTS]
    rows = defaultdict(list)
    jobs = [(v, f, k) for v, f in cells for k in range(a.per_cell)]
    for i, (v, f, k) in enumerate(tqdm(jobs, desc='phantoms')):
        ph = make_anatomy_phantom(a.seed * 100_003 + i, variant=v, fov=f,
                                  spacing=a.spacing)
        codes = to_model_grid(ph.codes, 2.0, is_label=True).data
        rows[(v, f)].append(count_on_truth(codes, 2.0))
    print('| variant | field of view | phantoms | identified | anchors |')
    print('|---|---|---|---|---|')
    total = [0, 0]
    for (v, f), rs in rows.items():
        ok, n = sum(r['identified'] for r in rs), sum(r['total'] for r in rs)
        total[0] += ok
        total[1] += n
        anchors = Counter(str(r['anchor']) for r in rs)
        print(f'| {v} | {f} | {len(rs)} | {ok}/{n} ({ok / max(n, 1):.2f}) '
              f'| {", ".join(f"{a} {c}" for a, c in anchors.items())} |')
    print(f'all: {total[0]}/{total[1]} vertebrae identified '
          f'({total[0] / max(total[1], 1):.3f}), {len(jobs)} phantoms')


if __name__ == '__main__':
    main()
