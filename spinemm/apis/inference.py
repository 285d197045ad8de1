"""In-process vertebra detection: image / DICOM in, vertebrae out.

    from spinemm.apis import VertebraDetector
    det = VertebraDetector('configs/vertebra_det/....py', 'epoch_4.pth')
    result = det('radiograph.dcm')     # or a PNG path, or a uint8 array
    # the same, with the networks in onnxruntime
    # (tools/deployment/pytorch2onnx.py wrote model.onnx):
    det = VertebraDetector('configs/vertebra_det/....py', 'model.onnx',
                           backend='onnxruntime')
"""
import os.path as osp

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import torch

from ..anatomy import KEYPOINT_NAMES
from ..io import read_dicom_image
from ..io.intensity import film_to_uint8
from ..io.export import is_dicom as _has_dicom_marker

#: pipeline steps that read annotations: not used on new images
_ANNOTATION_STEPS = ('LoadAnnotations', 'LoadVertebraKeypoints')


def is_dicom(path):
    """A ``.dcm`` name or DICOM content (:func:`spinemm.io.export.is_dicom`)."""
    return str(path).lower().endswith('.dcm') or _has_dicom_marker(path)


def load_image(path):
    """A PNG/JPEG or DICOM radiograph as (uint8 BGR image, spacing or None,
    spacing source). DICOM goes through its window (VOI LUT or window
    centre / width when the file has one) and MONOCHROME1 is inverted;
    values that do not fit 8 bits are then brought to 8 bits linearly from
    the film's own range (:func:`spinemm.io.intensity.film_to_uint8`: how a
    viewer shows it, and how the 8-bit films the models train on look),
    8-bit data is kept as stored. PNG / JPEG / TIFF go through :func:`spinemm.io.film.read_film`
    (a truncated file, or one too small for a film, is an error naming it;
    a 16-bit film is rescaled from its real range)."""
    from ..io.film import read_film
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    if is_dicom(path):
        pixels, spacing, meta = read_dicom_image(path, apply_window=True)
        if pixels.min() >= 0 and pixels.max() <= 255:
            img = np.round(pixels).astype(np.uint8)  # already 8-bit
        else:
            img = film_to_uint8(pixels)
        return (cv2.cvtColor(img, cv2.COLOR_GRAY2BGR), spacing,
                meta['spacing_source'])
    # decoded whole, 16-bit films from their real range, a minimum size
    return read_film(path), None, None


def _unwrap(step):
    inner = step.get('transform') if step.get('type', '').endswith(
        'WithKeypoints') else None
    return inner or step


class VertebraDetector:
    """A trained vertebra detector (config + checkpoint) ready to run."""

    def __init__(self, config, checkpoint, device='cpu', score_thr=0.6,
                 backend='pytorch'):
        from mmdet.apis import init_detector
        from mmengine.dataset import Compose

        from .onnx_backend import init_model_backend
        self.model = init_model_backend(init_detector, config, checkpoint,
                                        device, backend)
        self.score_thr = score_thr
        cfg = self.model.cfg
        steps = [_unwrap(s) for s in cfg.test_dataloader.dataset.pipeline
                 if not any(s['type'].endswith(n)
                            for n in _ANNOTATION_STEPS)]
        steps[0] = dict(type='mmdet.LoadImageFromNDArray')
        steps[-1] = dict(type='mmdet.PackDetInputs',
                         meta_keys=('img_id', 'img_path', 'ori_shape',
                                    'img_shape', 'scale_factor'))
        from mmengine.registry import init_default_scope
        init_default_scope(cfg.get('default_scope', 'mmdet'))
        self.pipeline = Compose(steps)
        meta = self.model.dataset_meta or {}
        self.classes = meta.get('classes', ('vertebra', ))
        # a checkpoint without dataset meta (or none: mmdet then names
        # COCO's 80 classes) takes the config's class names when those
        # match the head
        cfg_classes = cfg.test_dataloader.dataset.get('metainfo', {}).get(
            'classes')
        if cfg_classes and len(self.classes) != len(cfg_classes):
            self.classes = tuple(cfg_classes)
        # the AP scheme has 4 corners, the lateral one 6 keypoints: the
        # names come with the model (its dataset meta), never assumed
        # (the checkpoint's meta, else the config's dataset metainfo)
        names = meta.get('keypoint_names') or cfg.test_dataloader.dataset.get(
            'metainfo', {}).get('keypoint_names')
        self.keypoint_names = tuple(names or KEYPOINT_NAMES)

    def __call__(self, image, path=None, spacing=None, source=None):
        """Detect in ``image`` (an array, or a file path: then read with
        :func:`load_image`). With an array already read from a file, pass
        ``path`` and the ``spacing`` / ``source`` that :func:`load_image`
        returned, so the result names them."""
        if isinstance(image, (str, bytes)) or hasattr(image, '__fspath__'):
            path = str(image)
            image, spacing, source = load_image(path)
        data = self.pipeline(dict(img=image, img_id=0, img_path=path))
        data = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
        with torch.no_grad():
            pred = self.model.test_step(data)[0].pred_instances
        return self.to_dict(pred, image.shape[:2], path, spacing, source)

    def to_dict(self, pred, shape, path, spacing, source):
        keep = (pred.scores >= self.score_thr).cpu().numpy()
        boxes = pred.bboxes.cpu().numpy()[keep]
        order = np.argsort(boxes[:, 1], kind='stable')  # head to foot
        vertebrae = []
        for i in order:
            j = np.nonzero(keep)[0][i]
            v = dict(bbox=[round(float(x), 2) for x in pred.bboxes[j]],
                     score=round(float(pred.scores[j]), 4),
                     label=self.classes[int(pred.labels[j])])
            if 'keypoints' in pred:
                if pred.keypoints.shape[1] != len(self.keypoint_names):
                    raise ValueError(
                        f'the model predicts {pred.keypoints.shape[1]} '
                        f'keypoints but its meta names '
                        f'{len(self.keypoint_names)}: {self.keypoint_names}')
                v['keypoints'] = {
                    n: [round(float(x), 2) for x in p]
                    for n, p in zip(self.keypoint_names, pred.keypoints[j])}
                v['keypoint_scores'] = [round(float(s), 4)
                                        for s in pred.keypoint_scores[j]]
            if 'masks' in pred:
                rle = mask_utils.encode(np.asfortranarray(
                    pred.masks[j].cpu().numpy().astype(np.uint8)))
                v['mask'] = dict(size=rle['size'],
                                 counts=rle['counts'].decode())
            vertebrae.append(v)
        return dict(file=path, height=int(shape[0]), width=int(shape[1]),
                    pixel_spacing=list(spacing) if spacing else None,
                    spacing_source=source, score_thr=self.score_thr,
                    vertebrae=vertebrae)


def draw_result(image, result):
    """Overlay of a :meth:`VertebraDetector.__call__` result."""
    from ..visualization import draw_vertebrae
    vs = result['vertebrae']
    boxes = np.array([v['bbox'] for v in vs]).reshape(-1, 4)
    masks = None
    if vs and 'mask' in vs[0]:
        masks = np.stack([mask_utils.decode(dict(
            size=v['mask']['size'], counts=v['mask']['counts'].encode()))
            for v in vs]).astype(bool)
    kpts = None
    if vs and 'keypoints' in vs[0]:
        kpts = np.array([[v['keypoints'][n] for n in KEYPOINT_NAMES]
                         for v in vs])
    return draw_vertebrae(image, boxes, masks, kpts,
                          labels=[v['label'] for v in vs],
                          scores=[v['score'] for v in vs])
