"""Where a detector config's training step spends its time, on its own
training data (dataloader and workers as configured).

    python tools/analysis_tools/profile_train_step.py CONFIG [--iters 10] \
        [--threads 2] [--cfg-options ...]

Prints seconds per iteration: data (waiting for the dataloader), forward,
backward, optimiser step, and inside the forward the backbone + neck, RPN,
RoI assignment / sampling, box, mask (with its targets) and keypoint heads
(spinemm.engine.profiling), and the images per second.
"""
import argparse
import json
import tempfile

from mmengine.config import Config, DictAction

from spinemm.engine.profiling import profile_train_steps


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('--iters', type=int, default=10)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, help='torch.set_num_threads')
    p.add_argument('--json', action='store_true', help='print JSON only')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    a = p.parse_args()
    cfg = Config.fromfile(a.config)
    if a.cfg_options:
        cfg.merge_from_dict(a.cfg_options)
    with tempfile.TemporaryDirectory() as work:
        cfg.work_dir = work
        r = profile_train_steps(cfg, a.iters, a.warmup, a.threads)
    if a.json:
        print(json.dumps(r))
        return
    print(f'{a.config}: batch {r["batch_size"]}, {r["threads"]} torch '
          f'threads, {a.iters} iterations')
    for k in ('data_s', 'forward_s', 'backward_s', 'step_s', 'total_s'):
        print(f'  {k[:-2]:<28s} {r[k]:7.3f} s')
    print('  inside the forward:')
    for k, v in sorted(r['parts'].items(), key=lambda kv: -kv[1]):
        print(f'    {k:<26s} {v:7.3f} s')
    print(f'  {r["images_per_s"]:.2f} images/s')


if __name__ == '__main__':
    main()
