"""Inference speed of a detector or top-down pose model through PyTorch and
through onnxruntime, measured on the interface users call
(``VertebraDetector(image)``, ``mmpose.apis.inference_topdown``), so the
pre- and post-processing both backends share are in both figures.

Used by ``tools/analysis_tools/benchmark_vertebra.py --backend onnxruntime``.
"""
import os.path as osp
import tempfile
import time

import numpy as np
import torch


def _timed(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    t = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t) / iters


def compare_backends(config, checkpoint=None, size=256, iters=5, warmup=2,
                     num_boxes=17, seed=0, image=None):
    """dict(kind, pytorch_img_s, onnxruntime_img_s, export_s, diff: median
    and max |difference| of the boxes or keypoints, px) on
    one random ``size`` x ``size`` image (for a pose model with
    ``num_boxes`` random vertebra boxes in it). Without ``checkpoint`` the
    weights are the config's initialisation (timing needs no training).
    ``image`` (a path) replaces the random image: a trained detector finds
    few vertebrae in noise."""
    from mmengine.config import Config

    from ..apis.onnx_backend import init_model_backend
    scope = Config.fromfile(config).get('default_scope')
    rng = np.random.default_rng(seed)
    if image is None:
        image = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    else:
        from ..apis.inference import load_image
        image = load_image(image)[0]
        size = max(image.shape[:2])
    with tempfile.TemporaryDirectory() as tmp:
        if scope == 'mmdet':
            from mmdet.apis import init_detector as init_fn
        elif scope == 'mmpose':
            from mmpose.apis import init_model as init_fn
        else:
            raise ValueError(f'{config}: the backend benchmark covers '
                             f'detectors and pose models, not {scope}')
        if checkpoint is None:
            torch.manual_seed(seed)
            model = init_fn(config, None, device='cpu')
            checkpoint = osp.join(tmp, 'init.pth')
            torch.save(dict(state_dict=model.state_dict(),
                            meta=dict(dataset_meta=model.dataset_meta)),
                       checkpoint)
        onnx_path = osp.join(tmp, 'model.onnx')
        t = time.perf_counter()
        model = init_fn(config, checkpoint, device='cpu')
        if scope == 'mmdet':
            from ..apis.onnx_detector import export_detector
            info = export_detector(model, onnx_path)
        else:
            from ..apis.onnx_backend import export_onnx
            info = export_onnx(model, onnx_path)
        export_s = time.perf_counter() - t
        if scope == 'mmdet':
            from ..apis.inference import VertebraDetector
            runs = {b: VertebraDetector(config, checkpoint if b == 'pytorch'
                                        else onnx_path, score_thr=0.0,
                                        backend=b)
                    for b in ('pytorch', 'onnxruntime')}
            found = {b: r(image)['vertebrae'] for b, r in runs.items()}
            outs = {b: np.array([v['bbox'] for v in vs])
                    for b, vs in found.items()}
            count = len(found['pytorch'])
            calls = {b: (lambda r=r: r(image)) for b, r in runs.items()}
        else:
            from mmpose.apis import inference_topdown
            xy = rng.uniform(0, size * 0.8, (num_boxes, 2))
            boxes = np.concatenate([xy, xy + size * 0.15], 1)
            runs = {b: init_model_backend(
                init_fn, config, checkpoint if b == 'pytorch'
                else onnx_path, backend=b)
                for b in ('pytorch', 'onnxruntime')}
            outs = {b: np.stack([s.pred_instances.keypoints[0] for s in
                                 inference_topdown(m, image, boxes)])
                    for b, m in runs.items()}
            count = num_boxes
            calls = {b: (lambda m=m: inference_topdown(m, image, boxes))
                     for b, m in runs.items()}
        a, b = outs['pytorch'], outs['onnxruntime']
        d = np.abs(a - b) if a.shape == b.shape and a.size else \
            np.array([np.nan])
        diff = (float(np.median(d)), float(d.max()))
        with torch.no_grad():
            secs = {k: _timed(fn, iters, warmup) for k, fn in calls.items()}
    return dict(kind=info.get('kind', 'det'), image=image.shape[:2],
                pytorch_img_s=1 / secs['pytorch'],
                onnxruntime_img_s=1 / secs['onnxruntime'],
                export_s=export_s, diff=diff, vertebrae=count,
                torch_threads=torch.get_num_threads())
