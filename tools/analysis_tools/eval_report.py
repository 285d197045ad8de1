"""End-to-end check of the morphometry report against phantom truth.

    python tools/analysis_tools/eval_report.py data/phantom2d \
        --det-config C --det-checkpoint P [--pose-config C --pose-checkpoint P]
Runs the report on the validation images, matches reported vertebrae to the
phantom's by box IoU (>= 0.5), and prints height MAE (mm), Genant grade
accuracy, quadratic-weighted kappa and fracture sensitivity/specificity
against the generator's known grades; unmatched vertebrae are counted.
The figures are spinemm.evaluation.MorphometryAgreement's, the same
definitions as the pose metric's (kappa over vertebrae graded on both
sides, ungraded ones counted).
"""
import argparse
import json
import os.path as osp

import numpy as np
from tqdm import tqdm

from spinemm.apis import SpineReporter
from spinemm.evaluation import match_by_iou
from spinemm.evaluation.morphometry_agreement import MorphometryAgreement


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
    rep = SpineReporter(a.det_config, a.det_checkpoint, a.pose_config,
                        a.pose_checkpoint, score_thr=a.score_thr)
    with open(osp.join(a.root, 'annotations', f'{a.split}.json')) as f:
        images = json.load(f)['images']
    agree, missed, total = MorphometryAgreement(), 0, 0
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
            agree.add_pair(dict(ha=h['anterior'], hm=h['middle'],
                                hp=h['posterior'], grade=t['genant_grade']),
                           r)
    out = agree.summary()
    print(f'vertebrae: {total}, matched {out["num_vertebrae"]}, missed '
          f'{missed}')
    if not out['num_vertebrae']:
        raise SystemExit('error: no reported vertebra matched the truth')
    print('height MAE mm: Ha {:.3f}  Hm {:.3f}  Hp {:.3f}'.format(
        out['Ha_MAE_mm'], out['Hm_MAE_mm'], out['Hp_MAE_mm']))
    print(f'Genant grade accuracy {out["grade_acc"]:.3f}, quadratic kappa '
          f'{out["grade_kappa"]:.3f} ({out["ungraded"]} not graded)')
    print(f'fracture (grade >= 1): {out["num_fractured"]} true; sensitivity '
          f'{out["fracture_sensitivity"]:.3f}, specificity '
          f'{out["fracture_specificity"]:.3f}')


if __name__ == '__main__':
    main()
