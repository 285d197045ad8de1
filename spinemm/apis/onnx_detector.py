"""ONNX export of the vertebra detector (Cascade Mask R-CNN + the keypoint
RoI head) and running it with onnxruntime behind ``VertebraDetector``.

Where the cut is. Everything that has weights, and the RoIAlign feature
sampling, is in the ONNX file; what lies between the networks stays the
model's own mmdet / spinemm code, run by the same model object as with
PyTorch:

=================  ===========================================  ==========
part               inputs -> outputs                             in
=================  ===========================================  ==========
``backbone``       preprocessed batch (N, 3, H, W) -> the FPN     ONNX
                   levels ``feat0..``  (H, W dynamic)
``rpn``            one FPN level -> objectness, box deltas        ONNX
(anchors, delta decoding, top-k, NMS -> proposals)               mmdet
``bbox{s}``        FPN levels + RoIs (K, 5) -> class scores,      ONNX
                   box deltas, one part per cascade stage
                   (RoI level mapping + RoIAlign inside)
(stage refinement, score averaging, per-class NMS, score thr)    mmdet
``mask{s}``        FPN levels + final boxes -> mask logits        ONNX
(sigmoid, stage averaging, pasting into the image)               mmdet
``keypoint``       FPN levels + enlarged boxes -> heatmaps        ONNX
(enlarging the boxes, peak decoding into the image)              spinemm
=================  ===========================================  ==========

The parts are disjoint graphs merged into one ``.onnx`` file (names
prefixed ``part/``); :class:`OrtDetectorParts` cuts them apart again with
``onnx.utils.Extractor``. The RoI parts sample with torchvision's
``roi_align`` (ONNX ``RoiAlign``, opset >= 16 for ``aligned=True``), on
every level with the level chosen by mmdet's own rule
(``SingleRoIExtractor.map_roi_levels``): data-dependent indexing, which a
trace would freeze, is avoided. NMS and box decoding stay in Python
because they are cheap, and because exporting them would mean a second
copy of mmdet's test logic to keep equal to the first.
"""
import io
import json
import os.path as osp

import numpy as np
import torch
import torch.nn as nn
# imported here, not in RoIFeatures.forward: torchvision's first import
# calls its _cuda_version op, which the ONNX tracer cannot record (it was
# hidden while MONAI, imported with spinemm's modules, imported torchvision)
from torchvision.ops import roi_align

from .onnx_files import jsonable, session_options, write_meta


def is_detector(model):
    from mmdet.models.detectors import TwoStageDetector
    return isinstance(model, TwoStageDetector)


def _check_detector(model):
    from mmdet.models.roi_heads import CascadeRoIHead
    if not is_detector(model) or not isinstance(model.roi_head,
                                                CascadeRoIHead):
        raise ValueError(f'{type(model).__name__}: detector export covers '
                         'two-stage models with a cascade RoI head '
                         '(spinemm.VertebraCascadeRoIHead, CascadeRoIHead)')


class RoIFeatures(nn.Module):
    """mmdet's ``SingleRoIExtractor`` in a form a trace keeps whole: the
    level of each RoI by mmdet's own rule, then per level the RoIs of that
    level (``nonzero``: a dynamic count in the graph) sampled with
    torchvision's ``roi_align`` and scattered back. mmdet's loop skips an
    empty level with a Python ``if``, which a trace would freeze into the
    graph; here an empty level is just zero RoIs. Same numbers as the
    extractor (tested)."""

    def __init__(self, extractor):
        super().__init__()
        from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
        if type(extractor) is not SingleRoIExtractor:
            raise ValueError(f'{type(extractor).__name__}: only '
                             'SingleRoIExtractor RoIs can be exported')
        self.extractor = extractor
        self.layers = []
        for layer in extractor.roi_layers:
            if type(layer).__name__ != 'RoIAlign' or \
                    getattr(layer, 'pool_mode', 'avg') != 'avg':
                raise ValueError(f'{layer}: only RoIAlign with pool_mode='
                                 "'avg' exports (ONNX RoiAlign)")
            self.layers.append(dict(
                output_size=tuple(layer.output_size),
                spatial_scale=float(layer.spatial_scale),
                sampling_ratio=int(layer.sampling_ratio),
                aligned=bool(layer.aligned)))

    @property
    def num_inputs(self):
        return self.extractor.num_inputs

    def forward(self, feats, rois):
        rois = rois.type_as(feats[0])
        if len(feats) == 1:
            return roi_align(feats[0], rois, **self.layers[0])
        levels = self.extractor.map_roi_levels(rois, len(feats))
        out = feats[0].new_zeros(rois.size(0), self.extractor.out_channels,
                                 *self.layers[0]['output_size'])
        for i, (feat, layer) in enumerate(zip(feats, self.layers)):
            inds = torch.nonzero(levels == i).squeeze(1)
            out = out.index_put((inds, ), roi_align(feat, rois[inds],
                                                    **layer))
        return out


class _RoIPart(nn.Module):
    """FPN levels + RoIs -> a head's output."""

    def __init__(self, extractor, head):
        super().__init__()
        self.features, self.head = RoIFeatures(extractor), head

    def forward(self, *args):
        *feats, rois = args
        return self.head(self.features(tuple(feats), rois))


class _Backbone(nn.Module):

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return tuple(self.model.extract_feat(x))


class _Rpn(nn.Module):

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, x):
        return tuple(self.head.forward_single(x))


def detector_input_shape(model):
    """(3, H, W): the config's test ``Resize`` scale, padded as the data
    preprocessor pads (the exported graph takes any H, W)."""
    size = None
    for step in model.cfg.test_dataloader.dataset.pipeline:
        step = step.get('transform', step)
        if step['type'].endswith('Resize'):
            size = tuple(step['scale'])
    if size is None:
        raise ValueError('the config has no test Resize: give --shape C H W')
    div = getattr(model.data_preprocessor, 'pad_size_divisor', 1) or 1
    h, w = (-(-int(s) // div) * div for s in (size[1], size[0]))
    return 3, h, w


def _parts(model, shape):
    """name -> (module, example inputs, input names, output names)."""
    x = torch.zeros((1, ) + tuple(shape))
    with torch.no_grad():
        feats = _Backbone(model)(x)
    n = len(feats)
    h, w = shape[1:]
    # RoIs of several sizes, so every level takes part in the trace
    rois = torch.tensor([[0, 4, 4, 4 + w / 16, 4 + h / 16],
                         [0, 8, 8, 8 + w / 4, 8 + h / 4],
                         [0, 0, 0, w - 1, h - 1]], dtype=torch.float32)
    parts = dict(
        backbone=(_Backbone(model), (x, ), ['input'],
                  [f'feat{i}' for i in range(n)]),
        rpn=(_Rpn(model.rpn_head), (feats[0], ), ['feat'],
             ['cls_score', 'bbox_pred']))
    rh = model.roi_head

    def roi_part(extractor, head, outputs):
        k = extractor.num_inputs
        return (_RoIPart(extractor, head), tuple(feats[:k]) + (rois, ),
                [f'feat{i}' for i in range(k)] + ['rois'], outputs)

    for s in range(rh.num_stages):
        parts[f'bbox{s}'] = roi_part(rh.bbox_roi_extractor[s],
                                     rh.bbox_head[s],
                                     ['cls_score', 'bbox_pred'])
    if rh.with_mask:
        for s in range(len(rh.mask_head)):
            parts[f'mask{s}'] = roi_part(rh.mask_roi_extractor[s],
                                         rh.mask_head[s], ['mask_preds'])
    if getattr(rh, 'with_keypoint', False):
        parts['keypoint'] = roi_part(rh.keypoint_roi_extractor,
                                     rh.keypoint_head, ['heatmaps'])
    return parts


def _dynamic_axes(name, inputs, outputs):
    axes = {}
    for n in inputs + outputs:
        if n == 'rois':
            axes[n] = {0: 'rois'}
        elif name in ('backbone', 'rpn') or n.startswith('feat'):
            axes[n] = {0: 'batch', 2: f'{n}_h', 3: f'{n}_w'}
        else:  # per-RoI outputs
            axes[n] = {0: 'rois'}
    return axes


def export_detector(model, out, shape=None, opset=17):
    """Write the detector's parts (table above) as one ONNX file ``out``
    (through a temporary name). Returns dict(kind, input_shape, parts)."""
    import onnx
    import onnx.compose

    from ..utils import atomic_file
    _check_detector(model)
    if opset < 16:
        raise ValueError(f'opset {opset}: RoIAlign with aligned=True needs '
                         'ONNX opset >= 16')
    model = model.eval()
    shape = tuple(shape or detector_input_shape(model))
    merged = None
    parts = _parts(model, shape)
    for name, (module, args, ins, outs) in parts.items():
        buf = io.BytesIO()
        with torch.no_grad():
            torch.onnx.export(module.eval(), args, buf, dynamo=False,
                              opset_version=opset, input_names=ins,
                              output_names=outs,
                              dynamic_axes=_dynamic_axes(name, ins, outs))
        part = onnx.compose.add_prefix(onnx.load_from_string(
            buf.getvalue()), f'{name}/')
        merged = part if merged is None else onnx.compose.merge_models(
            merged, part, io_map=[])
    with atomic_file(out, '.onnx') as tmp:
        onnx.save(merged, tmp)
        write_meta(tmp, dict(
            kind='det', parts=json.dumps(list(parts)),
            dataset_meta=json.dumps(model.dataset_meta or {},
                                    default=jsonable)))
    return dict(kind='det', input_shape=list(shape), parts=list(parts))


class OrtDetectorParts:
    """The parts of an exported detector, each its own onnxruntime session:
    ``parts[name](*tensors)`` -> tuple of torch tensors."""

    def __init__(self, path, providers=None):
        import onnx
        import onnx.utils
        import onnxruntime as ort
        if not osp.isfile(path):
            raise FileNotFoundError(f'ONNX model not found: {path}')
        try:
            model = onnx.load(path)
        except Exception as e:  # onnx raises DecodeError and others
            raise ValueError(f'{path} is not a loadable ONNX model: {e}') \
                from e
        props = {p.key: p.value for p in model.metadata_props}
        if props.get('spinemm_kind') != 'det':
            raise ValueError(f'{path} holds a {props.get("spinemm_kind")} '
                             'network, not a detector exported by '
                             'tools/deployment/pytorch2onnx.py')
        self.path = path
        self.dataset_meta = json.loads(props.get('spinemm_dataset_meta',
                                                 '{}'))
        extractor = onnx.utils.Extractor(model)
        options = session_options()  # PyTorch works between the parts
        self.parts = {}
        for name in json.loads(props['spinemm_parts']):
            pre = f'{name}/'
            ins = [i.name for i in model.graph.input
                   if i.name.startswith(pre)]
            outs = [o.name for o in model.graph.output
                    if o.name.startswith(pre)]
            sub = extractor.extract_model(ins, outs)
            session = ort.InferenceSession(
                sub.SerializeToString(), options,
                providers=providers or ['CPUExecutionProvider'])
            self.parts[name] = _Session(session, ins)

    def __getitem__(self, name):
        if name not in self.parts:
            raise KeyError(f'{self.path} has no part {name!r} (it has '
                           f'{", ".join(self.parts)}): was it exported from '
                           'this config?')
        return self.parts[name]


class _Session:

    def __init__(self, session, inputs):
        self.session, self.inputs = session, inputs

    def __call__(self, *tensors):
        if len(tensors) != len(self.inputs):
            raise ValueError(f'{len(tensors)} inputs for a part that takes '
                             f'{len(self.inputs)}: {self.inputs}')
        feed = {n: np.ascontiguousarray(t.detach().cpu().float().numpy())
                for n, t in zip(self.inputs, tensors)}
        device = tensors[0].device
        return tuple(torch.from_numpy(o).to(device)
                     for o in self.session.run(None, feed))


def use_onnx_detector(model, path):
    """Make a built detector compute every network part (table above) with
    onnxruntime from ``path``; anchors, decoding, NMS, mask pasting and
    keypoint decoding stay the model's own code. Returns the model."""
    from ..det.models.keypoint_head import expand_rois
    _check_detector(model)
    parts = OrtDetectorParts(path)
    rh = model.roi_head
    missing = [n for n in _expected_parts(model) if n not in parts.parts]
    if missing:
        raise ValueError(f'{path} lacks {", ".join(missing)}: it was '
                         'exported from another config')
    if parts.dataset_meta:
        model.dataset_meta = parts.dataset_meta

    model.extract_feat = lambda x: parts['backbone'](x)
    model.rpn_head.forward_single = lambda x: parts['rpn'](x)

    def bbox_forward(stage, x, rois):
        k = rh.bbox_roi_extractor[stage].num_inputs
        cls_score, bbox_pred = parts[f'bbox{stage}'](*x[:k], rois)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred,
                    bbox_feats=None)

    def mask_forward(stage, x, rois):
        k = rh.mask_roi_extractor[stage].num_inputs
        return dict(mask_preds=parts[f'mask{stage}'](*x[:k], rois)[0])

    def keypoint_forward(x, rois):
        rois = expand_rois(rois, rh.keypoint_roi_scale)
        k = rh.keypoint_roi_extractor.num_inputs
        return parts['keypoint'](*x[:k], rois)[0], rois

    rh._bbox_forward = bbox_forward
    rh._mask_forward = mask_forward
    if getattr(rh, 'with_keypoint', False):
        rh._keypoint_forward = keypoint_forward
    model.onnx_path = path
    return model


def _expected_parts(model):
    rh = model.roi_head
    names = ['backbone', 'rpn'] + [f'bbox{s}' for s in range(rh.num_stages)]
    if rh.with_mask:
        names += [f'mask{s}' for s in range(len(rh.mask_head))]
    if getattr(rh, 'with_keypoint', False):
        names.append('keypoint')
    return names


def verify_detector(model, path, shape, seed=0):
    """Largest |onnxruntime - PyTorch| of every part, on a random image of
    ``shape`` (C, H, W) and 40 random RoIs (not the traced ones: the RoI
    count and sizes are the graph's to handle). dict part -> difference."""
    gen = torch.Generator().manual_seed(seed)
    model = model.eval()
    x = torch.randn((1, ) + tuple(shape), generator=gen)
    parts = OrtDetectorParts(path)
    h, w = shape[1:]
    xy = torch.rand((40, 2), generator=gen) * torch.tensor([w, h]) * 0.8
    wh = torch.rand((40, 2), generator=gen) ** 2 * torch.tensor([w, h]) * .5
    rois = torch.cat([torch.zeros((40, 1)), xy, xy + wh + 1], 1)
    with torch.no_grad():
        feats = _Backbone(model)(x)
        diffs = {}
        for name, (module, args, _, _) in _parts(model, shape).items():
            if name == 'backbone':
                args = (x, )
            elif name == 'rpn':
                args = (feats[1], )  # a level other than the traced one
            else:  # other RoIs than the traced ones, and more of them
                args = tuple(feats[:len(args) - 1]) + (rois, )
            ref = module(*args)
            ref = ref if isinstance(ref, (tuple, list)) else (ref, )
            got = parts[name](*args)
            diffs[name] = max(float((r - g).abs().max())
                              for r, g in zip(ref, got))
    return diffs
