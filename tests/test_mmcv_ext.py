"""spinemm-mmcv-ext (packages/spinemm-mmcv-ext): mmcv._ext's roi_align and
nms from torchvision, checked against independent computations (a numpy
bilinear RoIAlign after Detectron's definition, the adjoint identity for
its gradient, brute-force NMS); and the import hook defers to a compiled
mmcv._ext when there is one. Parity with compiled mmcv itself:
tools/analysis_tools/mmcv_ops_parity.py."""
import math
import os.path as osp
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                            'packages', 'spinemm-mmcv-ext'))
from spinemm_mmcv_ext import ExtFinder, ops  # noqa: E402


def _bilinear(v, y, x):
    h, w = v.shape
    if y < -1 or y > h or x < -1 or x > w:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    yl, xl = int(y), int(x)
    if yl >= h - 1:
        yl = yh = h - 1
        y = float(yl)
    else:
        yh = yl + 1
    if xl >= w - 1:
        xl = xh = w - 1
        x = float(xl)
    else:
        xh = xl + 1
    ly, lx = y - yl, x - xl
    return ((1 - ly) * (1 - lx) * v[yl, xl] + (1 - ly) * lx * v[yl, xh] +
            ly * (1 - lx) * v[yh, xl] + ly * lx * v[yh, xh])


def _roi_align_numpy(feat, rois, out, scale, ratio, aligned):
    res = np.zeros((len(rois), feat.shape[1], out, out))
    off = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - off, y1 * scale - off
        rw, rh = x2 * scale - off - sx, y2 * scale - off - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bw, bh = rw / out, rh / out
        gh = ratio if ratio > 0 else math.ceil(rh / out)
        gw = ratio if ratio > 0 else math.ceil(rw / out)
        for c in range(feat.shape[1]):
            v = feat[int(b), c]
            for ph in range(out):
                for pw in range(out):
                    acc = 0.0
                    for iy in range(gh):
                        y = sy + ph * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            x = sx + pw * bw + (ix + 0.5) * bw / gw
                            acc += _bilinear(v, y, x)
                    res[k, c, ph, pw] = acc / max(gh * gw, 1)
    return res


def _call_forward(feat, rois, out, scale, ratio, aligned):
    output = feat.new_zeros(len(rois), feat.shape[1], out, out)
    e = feat.new_zeros(0)
    ops.roi_align_forward(feat, rois, output, e, e, aligned_height=out,
                          aligned_width=out, spatial_scale=scale,
                          sampling_ratio=ratio, pool_mode=1, aligned=aligned)
    return output


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('ratio', [0, 2])
def test_roi_align_matches_numpy_and_its_gradient_is_the_adjoint(aligned,
                                                                  ratio):
    gen = torch.Generator().manual_seed(1)
    feat = torch.randn(2, 2, 9, 11, generator=gen, dtype=torch.float64)
    # inside, touching the border, partly outside, tiny
    rois = torch.tensor([[0, 4.0, 4.0, 30.0, 20.0], [1, -6.0, 2.0, 14.0, 40.0],
                         [0, 30.0, 25.0, 48.0, 40.0], [1, 10.0, 10.0, 11.0,
                                                       11.5]],
                        dtype=torch.float64)
    out, scale = 3, 0.25
    got = _call_forward(feat, rois, out, scale, ratio, aligned)
    want = _roi_align_numpy(feat.numpy(), rois.numpy(), out, scale, ratio,
                            aligned)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-10)
    # roi_align is linear in the features: <A x, g> == <x, A^T g>
    g = torch.randn(got.shape, generator=gen, dtype=torch.float64)
    grad = torch.zeros_like(feat)
    e = feat.new_zeros(0)
    ops.roi_align_backward(g, rois, e, e, grad, aligned_height=out,
                           aligned_width=out, spatial_scale=scale,
                           sampling_ratio=ratio, pool_mode=1, aligned=aligned)
    assert float((got * g).sum()) == pytest.approx(float((feat * grad).sum()),
                                                   rel=1e-10)


def test_max_pooling_and_other_ops_are_refused_by_name():
    feat = torch.zeros(1, 1, 4, 4)
    out, e = feat.new_zeros(1, 1, 2, 2), feat.new_zeros(0)
    with pytest.raises(NotImplementedError, match='pool_mode="max"'):
        ops.roi_align_forward(feat, torch.zeros(1, 5), out, e, e,
                              aligned_height=2, aligned_width=2,
                              spatial_scale=1.0, sampling_ratio=0,
                              pool_mode=0, aligned=True)
    with pytest.raises(NotImplementedError,
                       match="'deform_conv_forward'.*SPINEMM_MMCV=compiled"):
        ops.deform_conv_forward(feat)


def _iou(a, b, offset):
    iw = max(min(a[2], b[2]) - max(a[0], b[0]) + offset, 0)
    ih = max(min(a[3], b[3]) - max(a[1], b[1]) + offset, 0)
    inter = iw * ih

    def area(r):
        return (r[2] - r[0] + offset) * (r[3] - r[1] + offset)
    return inter / (area(a) + area(b) - inter)


def _nms_brute(boxes, scores, thr, offset):
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        if all(_iou(boxes[i], boxes[j], offset) <= thr for j in keep):
            keep.append(i)
    return keep


@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('thr', [0.3, 0.6])
def test_nms_matches_brute_force(offset, thr):
    gen = torch.Generator().manual_seed(2)
    xy = torch.rand(80, 2, generator=gen) * 60
    boxes = torch.cat([xy, xy + torch.rand(80, 2, generator=gen) * 25 + 1],
                      1).double()
    scores = torch.rand(80, generator=gen).double()
    keep = ops.nms(boxes, scores, iou_threshold=thr, offset=offset).tolist()
    assert keep == _nms_brute(boxes.tolist(), scores.tolist(), thr, offset)
    # with tied scores: still a valid suppression (no kept pair above the
    # threshold; every dropped box overlaps a kept one scored >= it)
    tied = (scores * 4).round() / 4
    keep = ops.nms(boxes, tied, iou_threshold=thr, offset=offset).tolist()
    b, s = boxes.tolist(), tied.tolist()
    assert all(_iou(b[i], b[j], offset) <= thr for i in keep for j in keep
               if i < j)
    for d in set(range(80)) - set(keep):
        assert any(_iou(b[d], b[k], offset) > thr and s[k] >= s[d]
                   for k in keep)
    assert ops.nms(boxes[:0], scores[:0], iou_threshold=thr,
                   offset=offset).numel() == 0


def test_the_hook_serves_mmcv_ext_only_without_a_compiled_one():
    import mmcv
    spec = ExtFinder().find_spec('mmcv._ext', mmcv.__path__)
    compiled = any(n.startswith('_ext') and n.endswith('.so')
                   for n in __import__('os').listdir(mmcv.__path__[0]))
    if compiled:
        assert spec.origin.endswith('.so')  # the real build wins
    else:
        assert spec.origin is None and type(spec.loader).__name__ == \
            '_Loader'
        import mmcv._ext
        assert mmcv._ext.PROVIDER == 'spinemm_mmcv_ext'
    assert ExtFinder().find_spec('mmcv.ops', mmcv.__path__) is None


def test_mmcv_ops_run_through_the_hook_in_bf16_where_it_serves():
    """With mmcv-lite (the default install) mmcv.ops.RoIAlign and nms come
    from the hook, bf16 included (compiled mmcv's RoIAlign refuses bf16)."""
    import spinemm_mmcv_ext
    if not spinemm_mmcv_ext.active():
        pytest.skip('compiled mmcv is installed (SPINEMM_MMCV=compiled)')
    from mmcv.ops import RoIAlign, batched_nms
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(1, 4, 16, 16, generator=gen, requires_grad=True)
    rois = torch.tensor([[0, 2.0, 2.0, 40.0, 30.0], [0, 10.0, 5.0, 60, 60]])
    layer = RoIAlign((7, 7), 0.25, sampling_ratio=2, aligned=True)
    ref = layer(x, rois)
    xb = x.detach().bfloat16().requires_grad_()
    out = layer(xb, rois.bfloat16())
    assert out.dtype == torch.bfloat16
    assert (out.float() - ref).abs().max() < 0.05
    out.float().sum().backward()
    assert xb.grad is not None and torch.isfinite(xb.grad.float()).all()
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10.]])
    dets, keep = batched_nms(boxes, torch.tensor([0.9, 0.8, 0.7]),
                             torch.tensor([0, 0, 1]),
                             dict(type='nms', iou_threshold=0.5))
    assert keep.tolist() == [0, 2]


def test_detector_trains_a_step_under_bf16_autocast():
    """The vertebra detector (Cascade Mask R-CNN + keypoint head) takes a
    training step under bf16 autocast through the hook's ops: RoIAlign sees
    bf16 features, the RPN losses are within 3 % of the fp32 step on the
    same batch (the RoI losses, whose proposals bf16 reorders, within 30 %;
    measured: 0.3 % for all but one stage's box loss, 20 %), and every
    gradient is finite. (On a GPU
    ``tools/train.py --amp --amp-dtype bfloat16`` runs the same ops.)"""
    import copy

    import spinemm_mmcv_ext
    if not spinemm_mmcv_ext.active():
        pytest.skip('compiled mmcv is installed (SPINEMM_MMCV=compiled)')
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from conftest import ROOT

    from spinemm.engine.benchmark import random_batch
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'vertebra_det',
        'cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py'))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(random_batch(128, 1, 'cpu'), True)
    seen = []
    layer = model.roi_head.bbox_roi_extractor[0].roi_layers[0]
    layer.register_forward_pre_hook(lambda m, args: seen.append(
        args[0].dtype))

    def step(dtype):
        torch.manual_seed(1)  # the same RoI sampling in both steps
        model.zero_grad()
        with torch.autocast('cpu', dtype=torch.bfloat16,
                            enabled=dtype is torch.bfloat16):
            losses = model(**copy.deepcopy(data), mode='loss')
        loss, logs = model.parse_losses(losses)
        loss.backward()
        return {k: float(v) for k, v in logs.items() if 'loss' in k}

    ref = step(torch.float32)
    assert seen[-1] == torch.float32
    got = step(torch.bfloat16)
    assert seen[-1] == torch.bfloat16
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert len(grads) > 100 and all(torch.isfinite(g).all() for g in grads)
    assert set(got) == set(ref) and 's2.loss_kpt' in got
    # the RPN losses see the same anchors and samples: bf16 rounding only;
    # the RoI stages see the proposals, which bf16 scores reorder
    for k in ref:
        tol = 0.03 if 'rpn' in k else 0.3
        assert math.isfinite(got[k]) and \
            abs(got[k] - ref[k]) <= tol * abs(ref[k]) + 0.005, \
            (k, got[k], ref[k])
