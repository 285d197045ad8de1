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
KPT = osp.join(ROOT, 'configs', 'vertebra_det',
               'cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py')
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
    unet3d = osp.join(ROOT, 'configs', 'verse3d',
                      'unet3d_verse-phantom-levels-64_cpu.py')
    r = run_tool(['python', 'tools/deployment/pytorch2onnx.py', unet3d,
                  'x.pth', '--out', str(tmp_path / 'd.onnx')])
    assert r.returncode != 0 and 'export covers detectors, pose models' \
        in r.stderr


def _rois(w, h, n, gen):
    """``n`` RoIs from a few px (finest level, under one feature cell) to
    the whole image (coarsest level)."""
    xy = torch.rand((n, 2), generator=gen) * torch.tensor([w, h]) * 0.7
    wh = torch.rand((n, 2), generator=gen) ** 3 * torch.tensor([w, h]) + 0.5
    rois = torch.cat([torch.zeros((n, 1)), xy, xy + wh], 1)
    # and two that reach levels 2 and 3 (sides >= 4 and 8 x 56 px)
    big = torch.tensor([[0, 10, 10, 300, 300], [0, 0, 0, w - 1, h - 1]])
    return torch.cat([rois, big.float()])


def test_roi_features_equal_the_mmdet_extractor():
    """The exportable RoI sampling against mmdet's SingleRoIExtractor
    (mmcv's RoIAlign, its own level loop), on RoIs of every level, on RoIs
    of one level only (the others empty) and on no RoI at all."""
    from mmdet.apis import init_detector

    from spinemm.apis.onnx_detector import RoIFeatures
    torch.manual_seed(0)
    model = init_detector(KPT, None, device='cpu').eval()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        feats = model.extract_feat(torch.randn((1, 3, 512, 480),
                                               generator=gen))
        rh = model.roi_head
        everything = _rois(480, 512, 300, gen)
        small = everything[(everything[:, 3] - everything[:, 1]) *
                           (everything[:, 4] - everything[:, 2]) < 100]
        for ext in (rh.bbox_roi_extractor[0], rh.mask_roi_extractor[1],
                    rh.keypoint_roi_extractor):
            levels = ext.map_roi_levels(everything, 4)
            assert set(levels.tolist()) == {0, 1, 2, 3}
            assert set(ext.map_roi_levels(small, 4).tolist()) == {0}
            for rois in (everything, small, everything[:0]):
                ref = ext(feats[:ext.num_inputs], rois)
                got = RoIFeatures(ext)(feats[:ext.num_inputs], rois)
                assert got.shape == ref.shape
                torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)


def _infer(config, checkpoint, images, out, *extra):
    ok(run_tool(['python', 'tools/infer.py', config, checkpoint, images,
                 '--out-dir', out, '--score-thr', '0', *extra]))
    found = {}
    for path in sorted(glob.glob(osp.join(out, '*.json'))):
        import json
        with open(path) as f:
            found[osp.basename(path)] = json.load(f)['vertebrae']
    return found


def test_detector_export_and_results_agree(tiny_kpt, phantom_root, tmp_path):
    """Every exported part equals its PyTorch module (pytorch2onnx
    --verify, on other RoIs than the traced ones), and tools/infer.py gives
    the same vertebrae (boxes, scores, masks, keypoints) with
    --backend onnxruntime as with PyTorch."""
    import pycocotools.mask as mask_utils
    config, ckpt = tiny_kpt
    out = str(tmp_path / 'det.onnx')
    text, diff = _export(config, ckpt, out)
    for part in ('backbone', 'rpn', 'bbox0', 'bbox2', 'mask1', 'keypoint'):
        assert f'  {part}: ' in text
    assert diff < 1e-4
    images = str(tmp_path / 'images')
    import shutil
    first = sorted(glob.glob(osp.join(phantom_root, 'images', '*.png')))
    shutil.copytree(osp.dirname(first[0]), images,
                    ignore=lambda d, names: names[3:])
    a = _infer(config, ckpt, images, str(tmp_path / 'torch'))
    b = _infer(config, out, images, str(tmp_path / 'ort'),
               '--backend', 'onnxruntime')
    assert sorted(a) == sorted(b) and len(a) == 3
    for name in a:
        va, vb = a[name], b[name]
        assert len(va) == len(vb) > 10, (name, len(va), len(vb))
        for x, y in zip(va, vb):
            assert x['label'] == y['label']
            np.testing.assert_allclose(y['bbox'], x['bbox'], atol=0.02)
            assert abs(x['score'] - y['score']) <= 2e-4
            kx = np.array(list(x['keypoints'].values()))
            ky = np.array(list(y['keypoints'].values()))
            np.testing.assert_allclose(ky, kx, atol=0.05)
            mx, my = (mask_utils.decode(dict(size=v['mask']['size'],
                      counts=v['mask']['counts'].encode()))
                      for v in (x, y))
            assert (mx != my).sum() <= max(2, 0.01 * mx.sum())


def test_detector_onnx_refusals(tmp_path):
    from mmdet.apis import init_detector

    from spinemm.apis.onnx_backend import init_model_backend
    foreign = str(tmp_path / 'foreign.onnx')
    torch.onnx.export(torch.nn.Linear(3, 2), (torch.zeros(1, 3), ), foreign,
                      dynamo=False)
    with pytest.raises(ValueError, match='not a detector exported by'):
        init_model_backend(init_detector, KPT, foreign,
                           backend='onnxruntime')
    # a file exported from the config without the keypoint head lacks it
    from spinemm.apis.onnx_detector import export_detector
    torch.manual_seed(0)
    no_kpt = osp.join(ROOT, 'configs', 'vertebra_det',
                      'cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu_'
                      'no-kpt-head.py')
    path = str(tmp_path / 'no_kpt.onnx')
    export_detector(init_detector(no_kpt, None, device='cpu'), path,
                    (3, 64, 64))
    with pytest.raises(ValueError, match='lacks keypoint'):
        init_model_backend(init_detector, KPT, path, backend='onnxruntime')


def test_the_ap_landmarker_runs_the_exported_detector(tmp_path):
    """The per-vertebra AP detector runs in onnxruntime too (its landmarker
    said "no ONNX export yet"): the same corners as PyTorch on a real
    film (untrained weights: the cut between the parts is tested)."""
    import glob

    import cv2
    import numpy as np
    import torch
    from mmdet.apis import init_detector

    from conftest import ROOT, ok, run_tool
    from spinemm.apis.scoliosis import SpineLandmarker
    films = sorted(glob.glob(osp.join(osp.dirname(ROOT), 'shared', 'data',
                                      'real', 'aasce_train', 'images',
                                      '*.jpg')))
    if not films:
        pytest.skip('../shared/data/real is not present')
    cfg = osp.join(ROOT, 'configs', 'vertebra_ap',
                   'cascade-mask-rcnn-kpt_r18_fpn_8e_aasce-cpu.py')
    torch.manual_seed(0)
    model = init_detector(cfg, None, device='cpu')
    ckpt, onnx = tmp_path / 'ap.pth', tmp_path / 'ap.onnx'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=model.dataset_meta)), ckpt)
    ok(run_tool(['python', 'tools/deployment/pytorch2onnx.py', cfg,
                 str(ckpt), '--out', str(onnx)]))
    img = cv2.imread(films[0])
    got = {b: SpineLandmarker(cfg, str(path), backend=b, score_thr=0.0)(img)
           for b, path in (('pytorch', ckpt), ('onnxruntime', onnx))}
    np.testing.assert_allclose(got['onnxruntime']['corners'],
                               got['pytorch']['corners'], atol=0.05)
    assert got['pytorch']['detected'].sum() > 0
