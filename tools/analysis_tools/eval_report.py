"""End-to-end check of the morphometry report against phantom truth.

    python tools/analysis_tools/eval_report.py data/phantom2d \
        --det-config C --det-checkpoint P [--pose-config C --pose-checkpoint P]
Runs the report on the validation images, matches reported vertebrae to the
phantom's by box IoU (>= 0.5), and prints height MAE (mm), Genant grade
accuracy, quadratic-weighted kappa and fracture sensitivity/specificity
against the generator's known grades; unmatched vertebrae are counted.
"""
import argparse
import json
import os.path as osp

import numpy as np
from tqdm import tqdm

from spinemm.apis import SpineReporter
from spinemm.evaluation import match_by_iou


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('root', help='a radiograph phantom folder')
    p.add_argument('--det-config', required=True)
    p.add_argument('--det-checkpoint', required=True)
    p.add_argument('--pose-config')
    p.add_argument('--pose-checkpoint')
    p.add_argument('--split', default='val')
    p.add_argument('--score-thr', type=float, default=0.6)
    a = p.parse_args()
    from sklearn.metrics import cohen_kappa_score
    rep = SpineReporter(a.det_config, a.det_checkpoint, a.pose_config,
                        a.pose_checkpoint, score_thr=a.score_thr)
    with open(osp.join(a.root, 'annotations', f'{a.split}.json')) as f:
        images = json.load(f)['images']
    err, grades, missed, total = [], [], 0, 0
    for im in tqdm(images, desc='report vs truth'):
        stem = osp.splitext(im['file_name'])[0]
        with open(osp.join(a.root, 'meta', stem + '.json')) as f:
            truth = json.load(f)['vertebrae']
        report, _ = rep(osp.join(a.root, 'images', im['file_name']),
                        im['pixel_spacing'])
        rows = report['vertebrae']
        gt_kp = np.array([t['keypoints'] for t in truth])
        gt_boxes = np.concatenate([gt_kp.min(1), gt_kp.max(1)], 1)
        pred_boxes = np.array([r['bbox'] for r in rows]).reshape(-1, 4)
        match, _ = match_by_iou(pred_boxes, [r['box_score'] for r in rows],
                                gt_boxes)
        total += len(truth)
        for t, m in zip(truth, match):
            if m < 0:
                missed += 1
                continue
            r = rows[m]
            h = t['heights_mm']
            err.append([np.nan if r[k] is None else abs(r[k] - h[n])
                        for k, n in (('ha', 'anterior'), ('hm', 'middle'),
                                     ('hp', 'posterior'))])
            grades.append((t['genant_grade'],
                           -1 if r['grade'] is None else r['grade']))
    err = np.array(err)
    g = np.array(grades)
    pos, neg = g[:, 0] >= 1, g[:, 0] == 0
    print(f'vertebrae: {total}, matched {len(g)}, missed {missed}')
    print('height MAE mm: Ha {:.3f}  Hm {:.3f}  Hp {:.3f}  (all {:.3f})'
          .format(*np.nanmean(err, 0), np.nanmean(err)))
    print(f'Genant grade accuracy {np.mean(g[:, 0] == g[:, 1]):.3f}, '
          'quadratic kappa {:.3f}'.format(cohen_kappa_score(
              g[:, 0], g[:, 1], weights='quadratic', labels=[-1, 0, 1, 2,
                                                             3])))
    print(f'fracture (grade >= 1): {int(pos.sum())} true; sensitivity '
          f'{np.mean(g[pos, 1] >= 1):.3f}, specificity '
          f'{np.mean(g[neg, 1] == 0):.3f}')


if __name__ == '__main__':
    main()
