"""Throughput and peak memory of a detector config, on one random batch.

Used by ``tools/analysis_tools/benchmark_vertebra.py`` to compare the vertebra
model (Cascade Mask R-CNN + keypoint head) with stock mmdet Cascade Mask
R-CNN built from the same config without the keypoint branch.
"""
import copy
import resource
import time

import numpy as np
import torch


def stock_variant(cfg):
    """The same model as mmdet's plain ``CascadeRoIHead`` (no keypoints)."""
    cfg = copy.deepcopy(cfg)
    roi = cfg.model.roi_head
    for key in ('keypoint_head', 'keypoint_roi_extractor',
                'keypoint_roi_scale'):
        roi.pop(key, None)
    num_classes = roi.pop('num_classes', None)
    if num_classes is not None:
        for h in roi.bbox_head:
            h.num_classes = num_classes
        if roi.get('mask_head'):
            roi.mask_head.num_classes = num_classes
    roi.type = 'mmdet.CascadeRoIHead'
    return cfg


def random_batch(size, batch, device, num_boxes=8, seed=0, num_keypoints=6):
    """Images and ground truth (boxes, masks, ``num_keypoints`` keypoints per
    box) drawn at random."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    rng = np.random.default_rng(seed)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.from_numpy(
            rng.integers(0, 255, (3, size, size), dtype=np.uint8)))
        xy = rng.uniform(0, size * 0.8, (num_boxes, 2))
        wh = rng.uniform(size * 0.05, size * 0.2, (num_boxes, 2))
        boxes = np.concatenate([xy, xy + wh], 1).astype(np.float32)
        masks = np.zeros((num_boxes, size, size), np.uint8)
        for m, (x1, y1, x2, y2) in zip(masks, boxes.astype(int)):
            m[y1:y2, x1:x2] = 1
        kpts = np.concatenate([
            rng.uniform(boxes[:, None, :2], boxes[:, None, 2:],
                        (num_boxes, num_keypoints, 2)),
            np.full((num_boxes, num_keypoints, 1), 2.0)],
            -1).astype(np.float32)
        gt = InstanceData(bboxes=torch.from_numpy(boxes),
                          labels=torch.zeros(num_boxes, dtype=torch.long),
                          masks=BitmapMasks(masks, size, size),
                          keypoints=torch.from_numpy(kpts))
        s = DetDataSample(gt_instances=gt, metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size),
            pad_shape=(size, size), scale_factor=(1.0, 1.0),
            batch_input_shape=(size, size)))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def _sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def measure(cfg, size=256, batch=2, iters=5, warmup=2, device='cpu'):
    """dict(train_img_s, infer_img_s, peak_mem_mb) for ``cfg``'s model.

    Peak memory is ``torch.cuda.max_memory_allocated`` on a GPU; on a CPU it
    is the process's peak resident set (run each model in its own process
    for a fair comparison, as the tool does)."""
    from mmengine.registry import init_default_scope
    from mmdet.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device)
    model.init_weights()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    # as many points per box as the keypoint head predicts (4 corners on
    # the AP configs, 6 on the lateral ones); the stock variant ignores them
    kpt_head = cfg.model.get('roi_head', {}).get('keypoint_head') or {}
    data = random_batch(size, batch, device,
                        num_keypoints=kpt_head.get('num_keypoints', 6))
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    model.train()

    def train_step():
        d = model.data_preprocessor(copy.deepcopy(data), True)
        loss, _ = model.parse_losses(model(**d, mode='loss'))
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(warmup):
        train_step()
    _sync(device)
    t = time.perf_counter()
    for _ in range(iters):
        train_step()
    _sync(device)
    train_s = (time.perf_counter() - t) / iters
    model.eval()
    with torch.no_grad():
        d = model.data_preprocessor(copy.deepcopy(data), False)
        for _ in range(warmup):
            model(**d, mode='predict')
        _sync(device)
        t = time.perf_counter()
        for _ in range(iters):
            model(**d, mode='predict')
        _sync(device)
    infer_s = (time.perf_counter() - t) / iters
    if device.startswith('cuda'):
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(train_img_s=batch / train_s, infer_img_s=batch / infer_s,
                peak_mem_mb=peak)
