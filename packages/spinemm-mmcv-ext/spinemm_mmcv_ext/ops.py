"""The ``mmcv._ext`` functions spinemm's models call, on torchvision.

Signatures and in-place conventions are mmcv 2.1.0's
(``mmcv/ops/csrc/pytorch/pybind.cpp``; callers in ``mmcv/ops/roi_align.py``
and ``mmcv/ops/nms.py``):

- ``roi_align_forward(input, rois, output, argmax_y, argmax_x, *,
  aligned_height, aligned_width, spatial_scale, sampling_ratio, pool_mode,
  aligned)`` writes ``output``; ``rois`` is (K, 5) = (batch index, x1, y1,
  x2, y2). Average pooling (``pool_mode=1``) is torchvision's
  ``roi_align``: the same bilinear sampling (Detectron's), the same
  ``aligned`` half-pixel shift and adaptive ``sampling_ratio <= 0``
  (ceil(roi size / output size) samples per bin). Max pooling
  (``pool_mode=0``) has no torchvision kernel: refused.
- ``roi_align_backward(grad_output, rois, argmax_y, argmax_x, grad_input,
  ...)`` writes ``grad_input`` (torchvision's backward kernel).
- ``nms(boxes, scores, *, iou_threshold, offset)`` returns the kept
  indices by decreasing score; tied scores are visited in the order of
  torch's default descending sort, as mmcv's kernel does. mmcv's
  ``offset=1`` (legacy pixel-inclusive boxes: width = x2 - x1 + 1) equals
  torchvision's ``offset=0`` on boxes whose x2, y2 are moved by +1.

Any other symbol ``mmcv.ops`` asks for exists (``mmcv.ops`` checks them at
import) and raises ``NotImplementedError`` naming the op when called.
"""
import torch

PROVIDER = 'spinemm_mmcv_ext'

_HOW = ('spinemm_mmcv_ext provides only roi_align and nms from torchvision; '
        'for other mmcv ops build the full mmcv: '
        'SPINEMM_MMCV=compiled bash tools/misc/setup_env.sh')


def _tv():
    import torchvision  # noqa: F401  (registers torch.ops.torchvision)
    return torch.ops.torchvision


def _wide(t):
    """fp16 / bf16 are computed in fp32 (torchvision's CPU kernel has no
    bf16; its autocast rule does the same) and written back narrow."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


def roi_align_forward(input, rois, output, argmax_y, argmax_x, *,
                      aligned_height, aligned_width, spatial_scale,
                      sampling_ratio, pool_mode, aligned):
    if pool_mode != 1:
        raise NotImplementedError(f'roi_align with pool_mode="max": {_HOW}')
    input = _wide(input)
    out = _tv().roi_align(input, rois.to(input.dtype), float(spatial_scale),
                          int(aligned_height), int(aligned_width),
                          int(sampling_ratio), bool(aligned))
    output.copy_(out)


def roi_align_backward(grad_output, rois, argmax_y, argmax_x, grad_input, *,
                       aligned_height, aligned_width, spatial_scale,
                       sampling_ratio, pool_mode, aligned):
    if pool_mode != 1:
        raise NotImplementedError(f'roi_align with pool_mode="max": {_HOW}')
    n, c, h, w = grad_input.shape
    grad_output = _wide(grad_output)
    grad = _tv()._roi_align_backward(
        grad_output, rois.to(grad_output.dtype), float(spatial_scale),
        int(aligned_height), int(aligned_width), n, c, h, w,
        int(sampling_ratio), bool(aligned))
    grad_input.copy_(grad)


def nms(boxes, scores, *, iou_threshold, offset):
    if boxes.numel() == 0:
        return boxes.new_zeros(0, dtype=torch.long)
    boxes = boxes.float() if boxes.dtype in (torch.float16,
                                             torch.bfloat16) else boxes
    if offset:
        boxes = torch.cat([boxes[:, :2], boxes[:, 2:4] + offset], 1)
    # mmcv orders by torch's default (unstable) descending sort, torchvision
    # by a stable one: hand torchvision mmcv's order so that tied scores
    # keep the same boxes in the same order
    order = scores.sort(0, descending=True)[1]
    keep = _tv().nms(boxes[order, :4].contiguous(),
                     scores[order].to(boxes.dtype), float(iou_threshold))
    return order[keep]


def _missing(name):
    def op(*args, **kwargs):
        raise NotImplementedError(f'mmcv op {name!r}: {_HOW}')
    op.__name__ = name
    return op


def __getattr__(name):
    if name.startswith('__'):
        raise AttributeError(name)
    return _missing(name)
