"""Score predicted vertebra masks against VerSe ground truth, as VerSe does.

    python tools/analysis_tools/eval_verse.py PRED_DIR VERSE_ROOT [--out f.csv]

PRED_DIR holds ``<stem>_seg-vert_msk.nii.gz`` (what tools/verse_infer.py
writes); each is matched with the VerSe case of the same stem under
VERSE_ROOT. The prediction goes onto the truth's grid (nearest neighbour)
and is scored per vertebra: Dice, HD95 (mm), identification and localisation
distance.

Identification follows the VerSe challenge (``--centroids body``, the
default): the true centroids are the case's published ``*_ctd.json``
(vertebral-body centres; the truth mask's body centroids where a case has
no json), the predicted ones the body centroids of the predicted mask
(:mod:`spinemm.evaluation.body_centroids`); a vertebra is identified when
the nearest true centroid to its predicted one is its own and lies within
20 mm, and the dataset id.rate pools every vertebra of every scan (the
per-scan mean is printed too). ``--centroids mask`` scores the centres of
the whole masks instead: a labelled alternative, not comparable with
published VerSe figures (7-15 mm behind the body centres on real masks).
Prints a table and the means; ``--out`` writes one row per vertebra.
"""
import argparse
import csv
import os.path as osp

import numpy as np
from tqdm import tqdm

from spinemm.evaluation.body_centroids import body_centroids
from spinemm.evaluation.verse_metrics import (evaluate_labels,
                                              label_centroids,
                                              summarize_cases)
from spinemm.formats.verse import (VERSE_LEVELS, centroids_to_world,
                                   index_verse, read_verse_centroids)
from spinemm.formats.verse_volumes import load_verse_case
from spinemm.io import label_volume, read_nifti, reorient, resample_to
from spinemm.utils import OutputPlan, refusals_as_exit


def check_truth_centroids(case, truth, gt):
    """A truth centroid whose label has no voxel in the truth mask, or that
    lies outside the volume, is a broken label file (it was scored as a
    missed vertebra): an error naming the file."""
    present = set(np.unique(gt.data).astype(int).tolist())
    shape = np.asarray(gt.data.shape)
    for label, world in truth.items():
        if int(label) not in present:
            raise SystemExit(
                f'error: {case["centroids"]}: centroid of label {label} '
                f'({VERSE_LEVELS.get(int(label), "?")}) has no voxel in the '
                f'mask {case["mask"]}')
        vox = np.asarray(gt.world_to_voxel(np.asarray(world))).reshape(-1)
        if np.any(vox < -0.5) or np.any(vox > shape - 0.5):
            raise SystemExit(
                f'error: {case["centroids"]}: centroid of label {label} lies '
                f'outside the {"x".join(map(str, shape))} volume of '
                f'{case["mask"]} (voxel {np.round(vox, 1).tolist()})')


def case_centroids(case, gt, pred, source):
    """(true, predicted) ``{label: world mm}`` centroids of one case."""
    if source == 'mask':
        def centres(v):
            return {k: v.voxel_to_world(c / np.asarray(v.spacing))[0]
                    for k, c in label_centroids(v.data, v.spacing).items()}
        return centres(gt), centres(pred)
    if case.get('centroids'):
        truth = centroids_to_world(read_verse_centroids(case['centroids']),
                                   read_nifti(case['mask']))
        check_truth_centroids(case, truth, gt)
    else:
        truth = body_centroids(gt)
    return truth, body_centroids(pred)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('pred_dir')
    p.add_argument('verse_root')
    p.add_argument('--out', help='per-vertebra CSV')
    p.add_argument('--no-hd', action='store_true', help='skip HD95')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an --out file that spinemm did not write')
    p.add_argument('--centroids', choices=('body', 'mask'), default='body',
                   help='body: the VerSe protocol (default); mask: centres '
                   'of the whole masks (not comparable with VerSe figures)')
    a = p.parse_args()
    with refusals_as_exit():
        plan = OutputPlan(a.overwrite, [],
                          [a.out] if a.out else []).check()
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
        r = evaluate_labels(pred.data, gt.data, gt.spacing, not a.no_hd,
                            case_centroids(case, gt, pred, a.centroids))
        summaries.append(r)
        for v, m in r['per_vertebra'].items():
            rows.append(dict(stem=case['stem'], label=v,
                             level=VERSE_LEVELS.get(v, '?'), **m))
        print(f'{case["stem"]}: Dice {r["dice"]:.3f} | per vertebra '
              f'{r["mean_dice"]:.3f} | HD95 {r["mean_hd95"]:.2f} mm | '
              f'id.rate {r["id_rate"]:.3f} | loc. {r["mean_distance"]:.2f} mm')
    t = summarize_cases(summaries)
    print(f'{len(summaries)} case(s), {t["num_vertebrae"]} vertebrae: '
          f'Dice {t["dice"]:.3f}, per-vertebra Dice {t["vertebra_dice"]:.3f}, '
          f'HD95 {t["hd95"]:.2f} mm, id.rate {t["id_rate"]:.3f} (VerSe: '
          f'pooled over vertebrae; per-scan mean {t["id_rate_per_scan"]:.3f};'
          f' {a.centroids} centroids), loc. {t["loc_distance"]:.2f} mm')
    if a.out:
        with plan.file(a.out, '.csv') as tmp:
            with open(tmp, 'w', newline='') as f:
                w = csv.DictWriter(f, list(rows[0]))
                w.writeheader()
                w.writerows(rows)


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
