"""ONNX export (tools/deployment/pytorch2onnx.py) and the onnxruntime
backend: the same trained-or-not weights give the same network outputs and
the same end results (keypoints in the image, label maps) through both
backends; what cannot be honoured is refused by name."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT, ok, run_tool

POSE = osp.join(ROOT, 'configs', 'vertebra_pose',
                'td-hm_res18_8e_phantom-cpu-96x96.py')
AP = osp.join(ROOT, 'configs', 'vertebra_ap',
              'simcc_res18_aasce-spine-cpu-256x512.py')
SEG = osp.join(ROOT, 'configs', 'spine_seg',
               'pyramid-vnet_mr2d-lumbar-256_cpu.py')
UNET = osp.join(ROOT, 'configs', 'spine_seg',
                'unet-s5-d16_mr2d-lumbar-256_cpu.py')


def _checkpoint(init_model, config, path, meta=None):
    torch.manual_seed(0)
    model = init_model(config, None, device='cpu')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(
        dataset_meta=meta or model.dataset_meta)), path)
    return path


def _export(config, ckpt, out):
    text = ok(run_tool(['python', 'tools/deployment/pytorch2onnx.py', config,
                        ckpt, '--out', out, '--verify']))
    import re
    diff = float(re.search(r'max \|onnxruntime - pytorch\| = (\S+)',
                           text).group(1))
    return text, diff


@pytest.mark.parametrize('config', [POSE, AP])
def test_pose_network_and_keypoints_agree(config, tmp_path, phantom_root):
    from mmpose.apis import inference_topdown, init_model

    from spinemm.apis.onnx_backend import init_model_backend
    ckpt = _checkpoint(init_model, config, str(tmp_path / 'm.pth'))
    out = str(tmp_path / 'm.onnx')
    text, diff = _export(config, ckpt, out)
    assert 'pose network' in text and diff < 1e-4
    torch_model = init_model(config, ckpt, device='cpu')
    ort_model = init_model_backend(init_model, config, out,
                                   backend='onnxruntime')
    assert ort_model.dataset_meta['dataset_name'] == \
        torch_model.dataset_meta['dataset_name']
    img = cv2.imread(sorted(glob.glob(osp.join(phantom_root, 'images',
                                               '*.png')))[0])
    h, w = img.shape[:2]
    boxes = np.array([[w * 0.3, h * 0.2, w * 0.6, h * 0.5],
                      [0, 0, w - 1, h - 1]])
    a = inference_topdown(torch_model, img, boxes)
    b = inference_topdown(ort_model, img, boxes)
    for sa, sb in zip(a, b):
        # an untrained model's heatmaps are nearly flat, where a 1e-5
        # difference can move a refined peak by a fraction of a heatmap
        # pixel: most keypoints agree to 0.01 px, all within 1 px
        d = np.abs(sb.pred_instances.keypoints - sa.pred_instances.keypoints)
        assert np.median(d) < 1e-2 and d.max() < 1.0, d.max()
        np.testing.assert_allclose(sb.pred_instances.keypoint_scores,
                                   sa.pred_instances.keypoint_scores,
                                   atol=1e-4)


@pytest.mark.parametrize('config', [SEG, UNET])
def test_segmentation_label_maps_agree(config, tmp_path, phantom_root):
    from mmseg.apis import init_model

    from spinemm.apis.segment import SliceSegmenter
    meta = dict(classes=('background', 'vertebra', 'disc'),
                palette=[[0, 0, 0], [220, 20, 60], [0, 128, 255]])
    ckpt = _checkpoint(init_model, config, str(tmp_path / 's.pth'), meta)
    out = str(tmp_path / 's.onnx')
    text, diff = _export(config, ckpt, out)
    assert 'seg network' in text and diff < 1e-4
    image = cv2.imread(sorted(glob.glob(osp.join(
        phantom_root, 'images', '*.png')))[0], cv2.IMREAD_GRAYSCALE)
    a = SliceSegmenter(config, ckpt)(image)
    onnx_seg = SliceSegmenter(config, out, backend='onnxruntime')
    b = onnx_seg(image)
    # the classes come from the ONNX file, not a library default
    assert tuple(onnx_seg.classes) == meta['classes']
    assert a.shape == b.shape == image.shape
    assert (a == b).mean() > 0.999


def test_what_cannot_run_is_refused_by_name(tmp_path):
    from mmseg.apis import init_model

    from spinemm.apis.onnx_backend import init_model_backend
    with pytest.raises(ValueError, match='--backend onnxruntime'):
        init_model_backend(init_model, SEG, str(tmp_path / 'x.onnx'))
    with pytest.raises(ValueError, match='exported .onnx'):
        init_model_backend(init_model, SEG, str(tmp_path / 'x.pth'),
                           backend='onnxruntime')
    with pytest.raises(FileNotFoundError, match='x.onnx'):
        init_model_backend(init_model, SEG, str(tmp_path / 'x.onnx'),
                           backend='onnxruntime')
    det = osp.join(ROOT, 'configs', 'quickstart',
                   'cascade-mask-rcnn_r18_fpn_phantom.py')
    r = run_tool(['python', 'tools/deployment/pytorch2onnx.py', det, 'x.pth',
                  '--out', str(tmp_path / 'd.onnx')])
    assert r.returncode != 0 and 'pose models and segmentors' in r.stderr
