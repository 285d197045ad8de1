"""Print the metrics and picture folder of the latest tools/test.py run.

    python tools/misc/summarize_test.py WORK_DIR [--train-seconds S]
"""
import argparse
import glob
import json
import os.path as osp


def latest_run(work_dir):
    runs = sorted(d for d in glob.glob(osp.join(work_dir, '*'))
                  if osp.isdir(d) and glob.glob(osp.join(d, '*.log')))
    if not runs:
        raise SystemExit(f'no tools/test.py run found in {work_dir}')
    return runs[-1]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('work_dir')
    p.add_argument('--train-seconds', type=float)
    p.add_argument('--total-seconds', type=float)
    args = p.parse_args()
    run = latest_run(args.work_dir)
    # tools/test.py's LoggerHook writes the final metrics to <run>/<run>.json
    scalars = sorted(glob.glob(osp.join(run, '*.json')))
    if not scalars:
        raise SystemExit(f'no metrics json in {run}')
    metrics = {}
    for path in scalars:
        with open(path) as f:
            for line in f:
                metrics.update(json.loads(line))
    print('\n== spinemm quickstart: COCO metrics on phantom val ==')
    for task in ('bbox', 'segm'):
        row = [f'{k}={metrics.get(f"coco/{task}_{k}", float("nan")):.3f}'
               for k in ('mAP', 'mAP_50', 'mAP_75')]
        print(f'{task:5s}  ' + '  '.join(row))
    if args.train_seconds is not None:
        print(f'train time {args.train_seconds / 60:.1f} min', end='')
        if args.total_seconds is not None:
            print(f', train + test {args.total_seconds / 60:.1f} min', end='')
        print()
    overlays = glob.glob(osp.join(run, '**', '*.png'), recursive=True)
    if overlays:
        print(f'{len(overlays)} overlay pictures in '
              f'{osp.dirname(sorted(overlays)[0])}')


if __name__ == '__main__':
    main()
