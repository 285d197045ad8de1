"""Compare spinemm-mmcv-ext's torchvision-backed ops with compiled mmcv.

    python tools/analysis_tools/mmcv_ops_parity.py [--device cuda]

Run it in an environment with the compiled mmcv 2.1.0
(SPINEMM_MMCV=compiled bash tools/misc/setup_env.sh): it calls that
mmcv._ext and spinemm_mmcv_ext.ops (from packages/spinemm-mmcv-ext) with
the same arguments and prints the largest differences:

- RoIAlign forward and input gradient, aligned True/False, sampling ratio
  0 (adaptive), 1, 2, 4, output 7x7 and 14x14, random and real-shaped
  inputs (an FPN level of the CPU vertebra detector with 512 RoIs, some
  partly outside the map);
- NMS keep indices (same set, same order) for IoU thresholds 0.3/0.5/0.7,
  offset 0 and 1, with and without tied scores.
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'packages', 'spinemm-mmcv-ext'))


def _rois(n, h, w, scale, gen, device):
    x1 = torch.rand(n, generator=gen) * (w / scale) * 1.1 - 0.05 * w / scale
    y1 = torch.rand(n, generator=gen) * (h / scale) * 1.1 - 0.05 * h / scale
    bw = torch.rand(n, generator=gen) * (w / scale) * 0.5 + 0.5
    bh = torch.rand(n, generator=gen) * (h / scale) * 0.5 + 0.5
    b = torch.randint(0, 2, (n, ), generator=gen).float()
    return torch.stack([b, x1, y1, x1 + bw, y1 + bh], 1).to(device)


def roi_align_case(ext, feat, rois, out, scale, ratio, aligned):
    res = []
    for impl in ext:
        x = feat.clone()
        output = x.new_zeros(len(rois), x.shape[1], out, out)
        empty = x.new_zeros(0)
        impl.roi_align_forward(x, rois, output, empty, empty,
                               aligned_height=out, aligned_width=out,
                               spatial_scale=scale, sampling_ratio=ratio,
                               pool_mode=1, aligned=aligned)
        g = torch.ones_like(output) * torch.linspace(
            -1, 1, output.numel(), device=x.device).view_as(output)
        grad = torch.zeros_like(x)
        impl.roi_align_backward(g.contiguous(), rois, empty, empty, grad,
                                aligned_height=out, aligned_width=out,
                                spatial_scale=scale, sampling_ratio=ratio,
                                pool_mode=1, aligned=aligned)
        res.append((output, grad))
    (o1, g1), (o2, g2) = res
    return (float((o1 - o2).abs().max()), float((g1 - g2).abs().max()),
            float(o1.abs().max()), float(g1.abs().max()))


def nms_case(ext, n, thr, offset, ties, gen, device):
    xy = torch.rand(n, 2, generator=gen) * 200
    wh = torch.rand(n, 2, generator=gen) * 60 + 2
    boxes = torch.cat([xy, xy + wh], 1).to(device)
    scores = torch.rand(n, generator=gen)
    if ties:
        scores = (scores * 5).round() / 5  # many equal scores
    scores = scores.to(device)
    keeps = [impl.nms(boxes, scores, iou_threshold=thr, offset=offset)
             for impl in ext]
    a, b = (k.cpu().tolist() for k in keeps)
    return a == b, set(a) == set(b), len(a)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    import mmcv._ext as compiled
    if getattr(compiled, 'PROVIDER', None):
        raise SystemExit('error: mmcv._ext here is spinemm_mmcv_ext itself; '
                         'run this where the compiled mmcv is installed')
    from spinemm_mmcv_ext import ops as shim
    ext = (compiled, shim)
    gen = torch.Generator().manual_seed(0)
    print(f'RoIAlign ({a.device}): max |compiled - torchvision|')
    print('case | aligned | ratio | out | fwd diff | grad diff | '
          'max |fwd| | max |grad|')
    worst = [0.0, 0.0]
    cases = [('random 2x8x32x40, 64 RoIs', (2, 8, 32, 40), 64, 0.25),
             ('FPN P2 2x128x64x64, 512 RoIs', (2, 128, 64, 64), 512, 0.25)]
    for name, shape, n, scale in cases:
        feat = torch.randn(*shape, generator=gen).to(a.device)
        rois = _rois(n, shape[2], shape[3], scale, gen, a.device)
        for aligned in (True, False):
            for ratio in (0, 1, 2, 4):
                for out in (7, 14):
                    fd, gd, fm, gm = roi_align_case(ext, feat, rois, out,
                                                    scale, ratio, aligned)
                    worst = [max(worst[0], fd), max(worst[1], gd)]
                    print(f'{name} | {aligned} | {ratio} | {out} | '
                          f'{fd:.2e} | {gd:.2e} | {fm:.2f} | {gm:.2f}')
    print(f'RoIAlign worst: forward {worst[0]:.2e}, gradient {worst[1]:.2e}')
    print(f'NMS ({a.device}): keep indices, 20 seeds per case')
    print('iou | offset | ties | same order | same set | mean kept')
    for thr in (0.3, 0.5, 0.7):
        for offset in (0, 1):
            for ties in (False, True):
                r = [nms_case(ext, 300, thr, offset, ties, gen, a.device)
                     for _ in range(20)]
                print(f'{thr} | {offset} | {ties} | '
                      f'{sum(x[0] for x in r)}/20 | {sum(x[1] for x in r)}/20'
                      f' | {sum(x[2] for x in r) / 20:.1f}')


if __name__ == '__main__':
    main()
