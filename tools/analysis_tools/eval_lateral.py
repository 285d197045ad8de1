"""Score a lateral landmark model on films in the lateral full-spine layout.

    python tools/analysis_tools/eval_lateral.py CONFIG CHECKPOINT DATA_ROOT \
        --out metrics.json [--show-dir pictures/] [--split val] \
        [--pose-config C --pose-checkpoint P] \
        [--level-config C --level-checkpoint P]

DATA_ROOT holds images/ and annotations.json (92 named points per film, see
docs/lateral_films.md). --split val scores the films of lateral2coco.py's
fold --val-fold (same --folds and --seed give the same films). Prints
vertebra recall, corner MRE (px), level accuracy, C2 / S1 endplates,
the MAE of each sagittal angle beside the floor of always answering the
training films' median, and Genant agreement (see
spinemm.evaluation.lateral_metrics); --out writes them with every film's
predicted column and angles.
"""
import argparse
import os.path as osp

import cv2
import numpy as np
from tqdm import tqdm

from spinemm.apis.inference import load_image
from spinemm.apis.lateral import LateralLandmarker, draw_lateral
from spinemm.evaluation.lateral_metrics import (ANGLES, film_metrics,
                                                summarize)
from spinemm.formats.lateral_fullspine import (film_folds,
                                               read_lateral_fullspine)
from spinemm.morphometry.sagittal import sagittal_alignment
from spinemm.utils import OutputPlan, refusals_as_exit


def _clean(x):
    """JSON without NaN: a number that is not one becomes null."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


def _jsonable(column):
    return {lv: [[None if not np.isfinite(v) else round(float(v), 2)
                  for v in p] for p in np.asarray(c, float)]
            for lv, c in column.items()}


def _thr_or_none(x):
    return None if x.lower() == 'none' else float(x)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('data_root')
    p.add_argument('--out', help='metrics + per-film predictions (.json)')
    p.add_argument('--show-dir', help='write a picture per film here')
    p.add_argument('--split', choices=['all', 'train', 'val'], default='val')
    p.add_argument('--folds', type=int, default=4)
    p.add_argument('--val-fold', type=int, default=0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--pose-config', help='second stage: a top-down corner '
                   'model on crops of the detected boxes')
    p.add_argument('--pose-checkpoint')
    p.add_argument('--level-config', help='levels from appearance: a level '
                   'classifier (configs/vertebra_lateral/level-cls_*)')
    p.add_argument('--level-checkpoint')
    p.add_argument('--score-thr', type=float, default=0.3)
    p.add_argument('--gap-thr', type=float, default=0.1,
                   help='vertebrae scored from this up to --score-thr fill '
                   'gaps of the column only (default 0.1; --score-thr\'s '
                   'value: off)')
    p.add_argument('--place-thr', type=_thr_or_none, default=0.5,
                   help='with a second stage: vertebrae not found, placed '
                   'between their neighbours, kept from this mean heatmap '
                   'score (default 0.5; none: off)')
    p.add_argument('--zoom-outs', type=float, nargs='+',
                   default=[1.0, 2.0, 2.75], metavar='F',
                   help='also detect on the film zoomed out by these '
                   'factors (>= 1) and keep the pass whose column holds the '
                   'most score (LateralLandmarker; default 1 2 2.75, 1 for '
                   'one pass)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--overwrite', action='store_true',
                   help='replace output files that spinemm did not write')
    a = p.parse_args()
    films = read_lateral_fullspine(a.data_root)
    folds = film_folds(films, a.folds, a.seed)
    train = [f for f in films if folds[f['name']] != a.val_fold]
    if a.split != 'all':
        films = [f for f in films
                 if (folds[f['name']] == a.val_fold) == (a.split == 'val')]
    outs = [a.out] if a.out else []
    outs += [osp.join(a.show_dir, osp.splitext(f['name'])[0] + '.jpg')
             for f in films] if a.show_dir else []
    plan = OutputPlan(a.overwrite, [a.data_root], outs).check()
    for x in ('pose', 'level'):
        if bool(getattr(a, x + '_config')) != bool(
                getattr(a, x + '_checkpoint')):
            raise SystemExit(f'error: --{x}-config and --{x}-checkpoint go '
                             'together')
    model = LateralLandmarker(a.config, a.checkpoint, a.device, a.score_thr,
                              zoom_outs=a.zoom_outs, gap_thr=a.gap_thr,
                              place_thr=a.place_thr,
                              pose_config=a.pose_config,
                              pose_checkpoint=a.pose_checkpoint,
                              level_config=a.level_config,
                              level_checkpoint=a.level_checkpoint)
    # the floor: always answering the training films' median angle
    train_angles = [sagittal_alignment(f['column']) for f in train]
    medians = {k: float(np.nanmedian([t[k] for t in train_angles]))
               for k in ANGLES}
    per_film = []
    for f in tqdm(films, desc='eval_lateral', unit='film'):
        r = model(f['image'])
        row = film_metrics(r['column'], f['column'], r.get('withheld', ()))
        row.update(name=f['name'], anchor=r['anchor'],
                   zoom_out=r.get('zoom_out', 1.0),
                   consistent=r['consistent'], skipped=r['skipped'],
                   placed=r.get('placed', []), weak=r.get('weak', []),
                   reconciled=bool(r.get('reconciled')),
                   column=_jsonable(r['column']))
        per_film.append(row)
        if a.show_dir:
            img = load_image(f['image'])[0]  # as the model saw it
            with plan.file(osp.join(a.show_dir, osp.splitext(
                    f['name'])[0] + '.jpg'), '.jpg') as tmp:
                cv2.imwrite(tmp, draw_lateral(img, r, f['column']))
    metrics = summarize(per_film, medians)
    for key, value in metrics.items():
        print(f'{key}: {value:.3f}' if isinstance(value, float)
              else f'{key}: {value}')
    if a.out:
        plan.write_json(a.out, _clean(dict(
            metrics=metrics, training_medians=medians, films=per_film)),
            indent=1)
        print(f'per-film predictions in {a.out}')


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
