"""Score an AP landmark model on films in the AASCE layout with labels.

    python tools/analysis_tools/eval_aasce.py CONFIG CHECKPOINT DATA_ROOT \
        --out metrics.json [--show-dir pictures/] [--split val]

DATA_ROOT holds images/ and labels/ (filenames.csv, angles.csv,
landmarks.csv, <film>.mat), as the AASCE 2019 challenge ships them. Prints
the challenge's SMAPE of the three Cobb angles, per-angle MAE (degrees),
landmark mean radial error (px) and vertebra recall; --out writes them with
every film's predicted corners and angles (JSON, and a CSV beside it).
"""
import argparse
import csv
import os.path as osp

import cv2
import numpy as np
from tqdm import tqdm

from spinemm.apis.inference import load_image
from spinemm.apis.scoliosis import SpineLandmarker, draw_scoliosis
from spinemm.evaluation.aasce_metrics import evaluate_films
from spinemm.formats.aasce import patient_split, read_aasce
from spinemm.utils import OutputPlan, refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('data_root')
    p.add_argument('--out', help='metrics + per-film predictions (.json)')
    p.add_argument('--show-dir', help='write a picture per film here')
    p.add_argument('--films', nargs='+', help='only these film names')
    p.add_argument('--split', choices=['all', 'train', 'val'], default='all',
                   help="only one side of aasce2coco's patient split (same "
                   '--val-fraction and --seed give the same films)')
    p.add_argument('--val-fraction', type=float, default=0.2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--flip-test', action='store_true',
                   help='per-vertebra detector: also detect on the mirrored '
                   'film and merge the two (test-time flip)')
    p.add_argument('--pose-config', help='a second stage '
                   '(configs/vertebra_ap/td-hm_*): corners placed again on '
                   'full-resolution crops of the detected boxes')
    p.add_argument('--pose-checkpoint')
    p.add_argument('--device', default='cpu')
    p.add_argument('--overwrite', action='store_true',
                   help='replace output files that spinemm did not write')
    a = p.parse_args()
    if bool(a.pose_config) != bool(a.pose_checkpoint):
        raise SystemExit('error: --pose-config and --pose-checkpoint go '
                         'together')
    films = read_aasce(a.data_root, progress=True)
    if a.split != 'all':
        keep = set(patient_split(films, a.val_fraction, a.seed)[
            a.split == 'val'])
        films = [f for f in films if f['name'] in keep]
    if a.films:
        films = [f for f in films if f['name'] in set(a.films)]
        if not films:
            raise SystemExit(f'error: none of {a.films} in {a.data_root}')
    outs = [a.out, osp.splitext(a.out)[0] + '.csv'] if a.out else []
    outs += [osp.join(a.show_dir, osp.splitext(f['name'])[0] + '.jpg')
             for f in films] if a.show_dir else []
    with refusals_as_exit():  # every name checked before any compute
        plan = OutputPlan(a.overwrite, [], outs).check()
    model = SpineLandmarker(a.config, a.checkpoint, a.device,
                            flip_test=a.flip_test,
                            pose_config=a.pose_config,
                            pose_checkpoint=a.pose_checkpoint)
    preds = []
    for f in tqdm(films, desc='eval_aasce', unit='film'):
        r = model(f['image'])
        preds.append(r)
        if a.show_dir:
            img = load_image(f['image'])[0]  # as the model saw it
            with plan.file(osp.join(a.show_dir, osp.splitext(
                    f['name'])[0] + '.jpg'), '.jpg') as tmp:
                cv2.imwrite(tmp, draw_scoliosis(img, r['corners'], r,
                                                f['column']))
    metrics, per_film = evaluate_films(
        # landmarks against the column head to foot; angles against the
        # published ones (see spinemm.formats.aasce: 18 films list the top
        # vertebra last and their published angles follow that list)
        [r['corners'] for r in preds], [f['column'] for f in films],
        [f['angles'] for f in films], [f['height'] for f in films])
    for key in ('SMAPE', 'MAE_proximal_thoracic', 'MAE_main_thoracic',
                'MAE_thoracolumbar_lumbar', 'MRE_px', 'vertebra_recall'):
        print(f'{key}: {metrics[key]:.3f}')
    print(f'{metrics["num_films"]} films')
    if a.out:
        for f, r, row in zip(films, preds, per_film):
            row.update(name=f['name'], end_vertebrae=r['end_vertebrae'],
                       corners=np.round(r['corners'], 2).tolist())
        plan.write_json(a.out, dict(metrics=metrics, films=per_film),
                        indent=1)
        with plan.file(osp.splitext(a.out)[0] + '.csv', '.csv') as tmp, \
                open(tmp, 'w', newline='') as fh:
            w = csv.writer(fh)
            w.writerow(['film', 'pred_pt', 'pred_mt', 'pred_tl', 'true_pt',
                        'true_mt', 'true_tl', 'smape', 'mre_px'])
            for row in per_film:
                w.writerow([row['name'], *row['pred_angles'],
                            *row['true_angles'], round(row['smape'], 3),
                            round(row['mre_px'], 2)])
        print(f'per-film predictions in {a.out}')


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
