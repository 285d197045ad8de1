"""Segment 2D slices (DICOM or PNG) with a trained spine segmentation model."""
import os.path as osp

import cv2
import numpy as np
import torch

from ..formats.image_label_pairs import read_image
from ..io import spinetk_normalize
from ..io.export import is_dicom


def load_slice(path):
    """A grey slice as uint8: DICOM SpineTK-normalised, PNG as is."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'slice not found: {path}')
    img = read_image(path)
    if path.lower().endswith('.dcm') or is_dicom(path) or img.max() > 255:
        img = spinetk_normalize(img)
    return np.clip(img, 0, 255).astype(np.uint8)


class SliceSegmenter:
    """``SliceSegmenter(config, checkpoint)(path_or_array)`` -> (H, W) uint8
    class map at the slice's own size."""

    def __init__(self, config, checkpoint, device='cpu', backend='pytorch'):
        from mmseg.apis import init_model

        from .onnx_backend import init_model_backend
        self.model = init_model_backend(init_model, config, checkpoint,
                                        device, backend)
        self.device = device
        size = None
        for step in self.model.cfg.test_dataloader.dataset.pipeline:
            if step['type'].endswith('Resize'):
                size = tuple(step['scale'])
        self.input_size = size  # (w, h) or None
        self.classes = self.model.dataset_meta['classes']
        self.palette = np.array(self.model.dataset_meta['palette'], np.uint8)

    def __call__(self, image):
        if isinstance(image, str):
            image = load_slice(image)
        h, w = image.shape[:2]
        x = image if self.input_size is None else cv2.resize(
            image, self.input_size, interpolation=cv2.INTER_LINEAR)
        from mmengine.structures import PixelData  # noqa: F401
        from mmseg.structures import SegDataSample
        sample = SegDataSample(metainfo=dict(
            ori_shape=x.shape[:2], img_shape=x.shape[:2],
            pad_shape=x.shape[:2]))
        data = dict(inputs=[torch.from_numpy(x[None].copy())],
                    data_samples=[sample])
        with torch.no_grad():
            out = self.model.test_step(data)[0]
        labels = out.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
        return cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)

    def overlay(self, image, labels, alpha=0.45):
        from ..visualization import seg_overlay
        return seg_overlay(image, labels, self.palette, alpha=alpha)
