"""ONNX export of the network of a pose or segmentation model, and running it
with onnxruntime behind the same inference interface.

Where the cut is: the exported graph is the network only, from the
preprocessed input batch (after the model's data preprocessor: channel
order, mean/std, padding) to the raw head output:

- top-down pose models (mmpose): backbone + neck + head -> heatmaps (or a
  SimCC head's x / y vectors), ``(N, 3, H, W)`` at the codec's input size;
- segmentors (mmseg EncoderDecoder, ``spinemm.PyramidSegmentor``): the whole
  network -> class logits at the input size, ``(N, C, H, W)`` at the
  size of the config's test ``Resize``.

Pre- and post-processing stay the libraries' own code (crop/affine and
normalisation before; heatmap / SimCC decoding, flip test, back-projection
to the image, resizing and argmax after), run by the same model object, so
the two backends differ only in who computes the network.

The vertebra detector has a cut of its own: :mod:`spinemm.apis.onnx_detector`.
"""
import json
import os.path as osp

import numpy as np
import torch

from .onnx_files import jsonable, session_options, write_meta

#: the kinds of model this module exports
KINDS = ('pose', 'seg')


def model_kind(model):
    """'pose' (an mmpose top-down estimator), 'seg' (an mmseg segmentor) or
    a ValueError naming what it is."""
    from mmpose.models.pose_estimators.base import BasePoseEstimator
    from mmseg.models.segmentors.base import BaseSegmentor
    if isinstance(model, BasePoseEstimator):
        return 'pose'
    if isinstance(model, BaseSegmentor):
        return 'seg'
    raise ValueError(
        f'{type(model).__name__}: ONNX export covers top-down pose models '
        'and segmentors here; detectors: spinemm.apis.onnx_detector')


def input_shape(model):
    """(C, H, W) of the network input the config implies."""
    cfg = model.cfg
    kind = model_kind(model)
    if kind == 'pose':
        w, h = cfg.codec['input_size']
        return 3, int(h), int(w)
    size = None
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'].endswith('Resize'):
            size = tuple(step['scale'])
    if size is None:
        raise ValueError('the config has no test Resize: give --shape H W')
    # the channels the network's first convolution takes (a grey slice is
    # one channel through SliceSegmenter)
    first = next(m for m in model.modules()
                 if isinstance(m, torch.nn.Conv2d))
    return int(first.in_channels), int(size[1]), int(size[0])


class _Network(torch.nn.Module):
    """The exported part of ``model``: preprocessed batch -> head output."""

    def __init__(self, model, shape):
        super().__init__()
        self.model, self.kind = model, model_kind(model)
        self.metas = [dict(img_shape=shape[1:], pad_shape=shape[1:],
                           ori_shape=shape[1:])]

    def forward(self, x):
        if self.kind == 'pose':
            return self.model.head.forward(self.model.extract_feat(x))
        return self.model.encode_decode(x, self.metas)


def export_onnx(model, out, shape=None, opset=17):
    """Write ``model``'s network to ``out`` (through a temporary name).

    Returns dict(kind, input_shape, outputs=[names]). The batch axis is
    dynamic; the image size is fixed to ``shape`` (C, H, W) or the config's.
    """
    from ..utils import atomic_file
    shape = tuple(shape or input_shape(model))
    net = _Network(model.eval(), shape).eval()
    x = torch.zeros((1, ) + shape)
    with torch.no_grad():
        ref = net(x)
    n_out = len(ref) if isinstance(ref, (tuple, list)) else 1
    names = [f'output{i}' for i in range(n_out)]
    with atomic_file(out, '.onnx') as tmp, torch.no_grad():
        torch.onnx.export(
            net, (x, ), tmp, dynamo=False, opset_version=opset,
            input_names=['input'], output_names=names,
            dynamic_axes={n: {0: 'batch'} for n in ['input'] + names})
        write_meta(tmp, dict(kind=net.kind, dataset_meta=json.dumps(
            model.dataset_meta or {}, default=jsonable)))
    return dict(kind=net.kind, input_shape=list(shape), outputs=names)


class OrtNetwork:
    """An exported network run by onnxruntime: torch tensor in, torch
    tensor(s) out (on the input's device)."""

    def __init__(self, path, providers=None):
        import onnxruntime as ort
        if not osp.isfile(path):
            raise FileNotFoundError(f'ONNX model not found: {path}')
        try:
            self.session = ort.InferenceSession(
                path, session_options(),
                providers=providers or ['CPUExecutionProvider'])
        except Exception as e:  # onnxruntime raises its own types
            raise ValueError(f'{path} is not a loadable ONNX model: {e}') \
                from e
        self.path = path
        props = self.session.get_modelmeta().custom_metadata_map
        self.kind = props.get('spinemm_kind')
        self.dataset_meta = json.loads(props.get('spinemm_dataset_meta',
                                                 '{}'))
        self.shape = self.session.get_inputs()[0].shape[1:]
        self.outputs = [o.name for o in self.session.get_outputs()]

    def __call__(self, x):
        if list(x.shape[1:]) != list(self.shape):
            raise ValueError(f'{self.path} was exported for inputs of shape '
                             f'(N, {", ".join(map(str, self.shape))}), got '
                             f'{tuple(x.shape)}')
        outs = self.session.run(None, {'input': np.ascontiguousarray(
            x.detach().cpu().float().numpy())})
        outs = [torch.from_numpy(o).to(x.device) for o in outs]
        return outs[0] if len(outs) == 1 else tuple(outs)


def use_onnx(model, path):
    """Make ``model`` (a built pose estimator or segmentor) compute its
    network with onnxruntime from ``path``; everything around the network
    stays the model's own. Returns the model."""
    net = OrtNetwork(path)
    kind = model_kind(model)
    if net.kind not in (None, kind):
        raise ValueError(f'{path} holds a {net.kind} network; the config '
                         f'builds a {kind} model')
    if net.dataset_meta:
        model.dataset_meta = net.dataset_meta
    if kind == 'pose':
        model.extract_feat = lambda inputs: inputs
        model.head.forward = lambda feats: net(feats)
    else:
        model.encode_decode = lambda inputs, batch_img_metas: net(inputs)
    model.onnx_path = path
    return model


BACKENDS = ('pytorch', 'onnxruntime')


def init_model_backend(init_fn, config, checkpoint, device='cpu',
                       backend='pytorch'):
    """``init_fn(config, checkpoint, device=...)`` (mmpose's or mmseg's
    ``init_model``, mmdet's ``init_detector``) for ``backend='pytorch'``;
    for ``'onnxruntime'`` ``checkpoint`` is the exported ``.onnx`` file,
    the model is built from ``config`` and its network runs in
    onnxruntime."""
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {BACKENDS}, not {backend}')
    if backend == 'pytorch':
        if str(checkpoint).endswith('.onnx'):
            raise ValueError(f'{checkpoint} is an ONNX model: pass '
                             '--backend onnxruntime')
        model = init_fn(config, checkpoint, device=device)
        if checkpoint is not None:
            from ..engine.model_loading import check_checkpoint_fits
            check_checkpoint_fits(model, checkpoint,
                                  f'the model of {config}')
        return model
    if not str(checkpoint).endswith('.onnx'):
        raise ValueError(f'--backend onnxruntime runs an exported .onnx '
                         f'file (tools/deployment/pytorch2onnx.py), not '
                         f'{checkpoint}')
    model = init_fn(config, None, device='cpu')
    from .onnx_detector import is_detector, use_onnx_detector
    if is_detector(model):
        return use_onnx_detector(model, checkpoint)
    return use_onnx(model, checkpoint)


def verify_onnx(model, path, shape, seed=0):
    """Largest |onnxruntime - PyTorch| of the network on a random batch of
    two inputs of ``shape`` (C, H, W)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((2, ) + tuple(shape), generator=gen)
    with torch.no_grad():
        ref = _Network(model.eval(), tuple(shape))(x)
    got = OrtNetwork(path)(x)
    ref = ref if isinstance(ref, (tuple, list)) else (ref, )
    got = got if isinstance(got, tuple) else (got, )
    return max(float((r - g).abs().max()) for r, g in zip(ref, got))
