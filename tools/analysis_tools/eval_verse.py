"""Score predicted vertebra masks against VerSe ground truth, as VerSe does.

    python tools/analysis_tools/eval_verse.py PRED_DIR VERSE_ROOT [--out f.csv]

PRED_DIR holds ``<stem>_seg-vert_msk.nii.gz`` (what tools/verse_infer.py
writes); each is matched with the VerSe case of the same stem under
VERSE_ROOT. Both masks go to 1 mm (nearest neighbour; VerSe evaluates at
1 mm) and are scored per vertebra: Dice, HD95 (mm), identification (nearest
true centroid of the same label within 20 mm) and localisation distance.
Prints a table and the means; ``--out`` writes one row per vertebra.
"""
import argparse
import csv
import os.path as osp

import numpy as np
from tqdm import tqdm

from spinemm.evaluation.verse_metrics import evaluate_labels
from spinemm.formats.verse import VERSE_LEVELS, index_verse
from spinemm.formats.verse_volumes import load_verse_case
from spinemm.io import label_volume, read_nifti, reorient, resample_to
from spinemm.utils import atomic_file


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('pred_dir')
    p.add_argument('verse_root')
    p.add_argument('--out', help='per-vertebra CSV')
    p.add_argument('--no-hd', action='store_true', help='skip HD95')
    a = p.parse_args()
    cases = [c for c in index_verse(a.verse_root) if c['mask']]
    pairs = [(c, osp.join(a.pred_dir, f'{c["stem"]}_seg-vert_msk.nii.gz'))
             for c in cases]
    missing = [pr for _, pr in pairs if not osp.isfile(pr)]
    if len(missing) == len(pairs):
        raise SystemExit(f'error: no <stem>_seg-vert_msk.nii.gz in '
                         f'{a.pred_dir} matches a labelled case of '
                         f'{a.verse_root}')
    rows, summaries = [], []
    for case, pred_path in tqdm(pairs, desc='evaluate', unit='case'):
        if not osp.isfile(pred_path):
            print(f'warning: {pred_path} missing; {case["stem"]} skipped')
            continue
        gt = load_verse_case(dict(case, centroids=None))['mask']
        # checked in its stored dtype (no uint8 wrap), then onto the truth's
        # grid by world position
        pred = label_volume(read_nifti(pred_path), what='predicted mask')
        pred = resample_to(reorient(pred, gt.orientation), gt, is_label=True)
        r = evaluate_labels(pred.data, gt.data, gt.spacing, not a.no_hd)
        summaries.append(r)
        for v, m in r['per_vertebra'].items():
            rows.append(dict(stem=case['stem'], label=v,
                             level=VERSE_LEVELS.get(v, '?'), **m))
        print(f'{case["stem"]}: Dice {r["dice"]:.3f} | per vertebra '
              f'{r["mean_dice"]:.3f} | HD95 {r["mean_hd95"]:.2f} mm | '
              f'id.rate {r["id_rate"]:.3f} | loc. {r["mean_distance"]:.2f} mm')
    hds = [x['hd95'] for x in rows if np.isfinite(x['hd95'])]
    print(f'{len(summaries)} case(s), {len(rows)} vertebrae: '
          f'Dice {np.mean([s["dice"] for s in summaries]):.3f}, '
          f'per-vertebra Dice {np.mean([x["dice"] for x in rows]):.3f}, '
          f'HD95 {np.mean(hds) if hds else float("nan"):.2f} mm, '
          f'id.rate {np.nanmean([s["id_rate"] for s in summaries]):.3f}')
    if a.out:
        with atomic_file(a.out, '.csv') as tmp:
            with open(tmp, 'w', newline='') as f:
                w = csv.DictWriter(f, list(rows[0]))
                w.writeheader()
                w.writerows(rows)


if __name__ == '__main__':
    main()
