"""Vertebra model vs stock mmdet Cascade Mask R-CNN (same backbone, same
random batch): training and inference throughput and peak memory.

    python tools/analysis_tools/benchmark_vertebra.py CONFIG              # CPU, 256 px, batch 2
    python tools/analysis_tools/benchmark_vertebra.py CONFIG --device cuda --size 800 --batch 8
Each model runs in its own process (so the CPU peak memory is its own).
"""
import argparse
import json
import subprocess
import sys


def run_one(args, stock):
    from mmengine.config import Config

    from spinemm.engine.benchmark import measure, stock_variant
    cfg = Config.fromfile(args.config)
    if stock:
        cfg = stock_variant(cfg)
    cfg.model.backbone.init_cfg = None  # timing needs no pretrained weights
    print(json.dumps(measure(cfg, args.size, args.batch, args.iters,
                             args.warmup, args.device)))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('--device', default='cpu')
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--iters', type=int, default=5)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--only', choices=['vertebra', 'stock'],
                   help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.only:
        return run_one(a, a.only == 'stock')
    rows = {}
    for name in ('vertebra', 'stock'):
        out = subprocess.run([sys.executable, __file__, *sys.argv[1:],
                              '--only', name], capture_output=True,
                             text=True)
        if out.returncode:
            sys.exit(f'{name} run failed:\n{out.stderr[-3000:]}')
        rows[name] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f'config: {a.config}\ndevice: {a.device}, {a.size}x{a.size}, '
          f'batch {a.batch}, {a.iters} timed iterations')
    print(f'{"":16}{"vertebra":>12}{"stock mmdet":>14}{"ratio":>8}')
    for key, label in (('train_img_s', 'train img/s'),
                       ('infer_img_s', 'infer img/s'),
                       ('peak_mem_mb', 'peak mem MB')):
        v, s = rows['vertebra'][key], rows['stock'][key]
        print(f'{label:16}{v:12.2f}{s:14.2f}{v / s:8.3f}')


if __name__ == '__main__':
    main()
