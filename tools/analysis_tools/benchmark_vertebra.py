"""Vertebra model vs stock mmdet Cascade Mask R-CNN (same backbone, same
random batch): training and inference throughput and peak memory.

    python tools/analysis_tools/benchmark_vertebra.py CONFIG              # CPU, 256 px, batch 2
    python tools/analysis_tools/benchmark_vertebra.py CONFIG --device cuda --size 800 --batch 8
Each model runs in its own process (so the CPU peak memory is its own).

PyTorch vs onnxruntime inference on the CPU (a detector or a top-down pose
config; P optional, the config's initial weights otherwise):
    python tools/analysis_tools/benchmark_vertebra.py CONFIG --backend onnxruntime [--checkpoint P]
It exports the model to a temporary .onnx, then times the interface users
call (VertebraDetector on one image; inference_topdown on one image with 17
vertebra boxes) with each backend, and prints img/s of both.
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
    p.add_argument('--backend', choices=['onnxruntime'],
                   help='compare PyTorch and onnxruntime inference instead')
    p.add_argument('--checkpoint', help='with --backend: trained weights')
    p.add_argument('--image', help='with --backend: time on this image '
                   '(PNG/JPEG/DICOM) instead of a random one')
    p.add_argument('--only', choices=['vertebra', 'stock'],
                   help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.backend:
        return backends(a)
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


def backends(a):
    from spinemm.engine.backend_benchmark import compare_backends
    if a.device != 'cpu':
        sys.exit('error: --backend compares CPU inference (onnxruntime runs '
                 'here with its CPU provider)')
    r = compare_backends(a.config, a.checkpoint, a.size, a.iters, a.warmup,
                         image=a.image)
    unit = 'img/s' if r['kind'] == 'det' else 'img/s (17 crops each)'
    h, w = r['image']
    print(f'config: {a.config}\n{r["kind"]}, {h}x{w} '
          f'{a.image or "random image"} ({r["vertebrae"]} vertebrae), '
          f'{a.iters} timed calls, {r["torch_threads"]} torch threads, '
          f'export {r["export_s"]:.1f} s')
    print(f'{"":22}{"pytorch":>10}{"onnxruntime":>13}{"ratio":>8}')
    p, o = r['pytorch_img_s'], r['onnxruntime_img_s']
    print(f'{unit:22}{p:10.2f}{o:13.2f}{o / p:8.3f}')
    med, top = r['diff']
    print(f'|onnxruntime - pytorch| of the '
          f'{"boxes" if r["kind"] == "det" else "keypoints"}: median '
          f'{med:.3g} px, max {top:.3g} px'
          + ('' if a.checkpoint else ' (initial weights: near-flat '
             'outputs, where float rounding can move a peak or a box)'))


if __name__ == '__main__':
    main()
