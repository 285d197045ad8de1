"""The keypoint detector through the user-facing tools: train, test with
keypoint metrics and --out, infer on PNG and DICOM, browse, benchmark."""
import json
import os
import os.path as osp
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import KPT_CPU, ROOT, listed, run_tool
from conftest import ok as _ok


def _ann_file(cfg):
    """The val annotation file the tiny config names."""
    text = Path(cfg).read_text()
    return text.split("ann_file=")[1].split(",")[0].strip("'\"")


def test_test_tool_reports_keypoint_metrics_and_writes_out(tiny_kpt,
                                                           tmp_path):
    cfg, ckpt = tiny_kpt
    out = _ok(run_tool([sys.executable, 'tools/test.py', cfg, ckpt,
                        '--work-dir', str(tmp_path),
                        '--out', str(tmp_path / 'pred.pkl')]))
    for key in ('vertebra/kpt_AP', 'vertebra/PCK@0.05', 'vertebra/PCK@0.1',
                'vertebra/PCK@2mm', 'vertebra/AUC', 'vertebra/EPE_px',
                'vertebra/EPE_mm', 'vertebra/num_missed', 'coco/bbox_mAP'):
        assert key in out, key
    per_image = json.loads((tmp_path / 'pred.keypoints.json').read_text())
    assert len(per_image) == 2  # the two val images
    first = next(iter(per_image.values()))
    assert set(first) == {'pred', 'gt', 'matches'}
    assert len(first['matches']) == len(first['gt']) > 0
    # the printed figures, recomputed from the written matches and the
    # annotation file (not from the metric's accumulator)
    printed = dict(re.findall(r'vertebra/(num_missed|EPE_px|PCK@0\.1): '
                              r'([-\d.naN]+)', out))
    coco = json.loads(Path(_ann_file(cfg)).read_text())
    boxes = {}
    for img in coco['images']:
        anns = [a for a in coco['annotations'] if a['image_id'] == img['id']]
        for g, a in enumerate(anns):
            boxes[img['file_name'], a.get('level', f'gt{g + 1}')] = a['bbox']
    missed, errs, norm = 0, [], []
    for name, rec in per_image.items():
        for m in rec['matches']:
            gt = np.array(rec['gt'][m['gt']])
            if m['pred'] is None:
                missed += 1
                norm += [np.inf] * len(gt)
                continue
            d = np.hypot(*(np.array(rec['pred'][m['pred']]) - gt).T)
            x, y, w, h = boxes[name, m['gt']]
            errs += d.tolist()
            norm += (d / np.hypot(w, h)).tolist()
    assert int(printed['num_missed']) == missed
    # every vertebra shows all six keypoints, so the mean over types is the
    # mean over keypoints
    assert float(printed['PCK@0.1']) == pytest.approx(
        np.mean(np.array(norm) < 0.1), abs=1e-3)
    if errs:  # rounded to 0.01 px in the json
        assert float(printed['EPE_px']) == pytest.approx(np.mean(errs),
                                                         abs=0.02)
    bbox_rows = json.loads((tmp_path / 'pred.bbox.json').read_text())
    assert len(bbox_rows) == sum(len(r['pred']) for r in per_image.values())
    assert osp.isfile(tmp_path / 'pred.pkl')


def test_infer_on_png_folder_and_dicom(tiny_kpt, phantom_root, tmp_path):
    import cv2

    from spinemm.io import write_dicom_radiograph
    cfg, ckpt = tiny_kpt
    img = cv2.imread(osp.join(phantom_root, 'images', 'phantom_00009.png'),
                     cv2.IMREAD_GRAYSCALE)
    src = tmp_path / 'in'
    src.mkdir()
    cv2.imwrite(str(src / 'a.png'), img)
    write_dicom_radiograph(str(src / 'b.dcm'), img, (0.3, 0.3),
                           spacing_tag='ImagerPixelSpacing')
    out = tmp_path / 'out'
    _ok(run_tool([sys.executable, 'tools/infer.py', cfg, ckpt, str(src),
                  '--out-dir', str(out), '--score-thr', '0.0']))
    assert listed(out) == ['a.json', 'a.png', 'b.json', 'b.png']
    a = json.loads((out / 'a.json').read_text())
    b = json.loads((out / 'b.json').read_text())
    assert a['pixel_spacing'] is None and a['spacing_source'] is None
    assert b['pixel_spacing'] == [0.3, 0.3]
    assert b['spacing_source'] == 'ImagerPixelSpacing'
    assert (a['height'], a['width']) == img.shape
    for v in a['vertebrae']:
        assert set(v['keypoints']) == {
            'bottom_left', 'bottom_middle', 'bottom_right', 'top_right',
            'top_middle', 'top_left'}
        assert len(v['keypoint_scores']) == 6 and 'counts' in v['mask']
    proc = run_tool([sys.executable, 'tools/infer.py', cfg, ckpt,
                     str(tmp_path / 'missing.png')])
    assert proc.returncode != 0 and 'missing.png' in proc.stderr


def test_api_matches_the_tool(tiny_kpt, phantom_root, tmp_path):
    from spinemm.apis import VertebraDetector
    cfg, ckpt = tiny_kpt
    det = VertebraDetector(cfg, ckpt, score_thr=0.0)
    path = osp.join(phantom_root, 'images', 'phantom_00009.png')
    r1, r2 = det(path), det(path)
    assert r1 == r2  # deterministic
    rows = [v['bbox'][1] for v in r1['vertebrae']]
    assert rows == sorted(rows)  # head to foot
    # the tool, in its own process, writes what the API returns
    _ok(run_tool([sys.executable, 'tools/infer.py', cfg, ckpt, path,
                  '--out-dir', str(tmp_path), '--score-thr', '0.0']))
    written = json.loads((tmp_path / 'phantom_00009.json').read_text())
    assert len(written['vertebrae']) == len(r1['vertebrae'])
    for w, a in zip(written['vertebrae'], r1['vertebrae']):
        assert np.allclose(w['bbox'], a['bbox'], atol=1e-3)
        assert w['score'] == pytest.approx(a['score'], abs=1e-5)
        for name, xy in a['keypoints'].items():
            assert np.allclose(w['keypoints'][name], xy, atol=1e-3)


def test_browse_dataset_draws_boxes_and_keypoints_where_they_are(
        tiny_kpt, tmp_path):
    """Each picture shows its sample's boxes and six keypoints where the
    dataset (after the val pipeline, built here) puts them: the grey
    phantom turns box-green on the box outlines only, and each keypoint's
    colour (anterior orange, posterior cyan, middle yellow) at its
    position; batch.png tiles the two."""
    import cv2
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from spinemm.anatomy import KEYPOINT_NAMES
    from spinemm.registry import DATASETS
    from spinemm.visualization import POINT_COLOURS
    cfg, _ = tiny_kpt
    _ok(run_tool([sys.executable, 'tools/analysis_tools/browse_dataset.py',
                  cfg, '--out-dir', str(tmp_path), '-n', '2',
                  '--split', 'val']))
    pngs = sorted(f for f in os.listdir(tmp_path) if f.endswith('.png'))
    assert len(pngs) == 3 and pngs[-1] == 'batch.png'  # 2 + both tiled
    c = Config.fromfile(cfg)
    init_default_scope(c.default_scope)
    ds = DATASETS.build(c.val_dataloader.dataset)

    for i, name in enumerate(pngs[:2]):
        points = 0
        pic = cv2.imread(str(tmp_path / name))
        gt = ds[i]['data_samples'].gt_instances
        assert pic.shape[:2] == tuple(ds[i]['inputs'].shape[1:])
        # the box outlines, drawn here with numpy (keypoints and skeleton
        # lines are drawn over parts of them)
        outline = np.zeros(pic.shape[:2], bool)
        for x1, y1, x2, y2 in np.round(gt.bboxes.numpy()).astype(int):
            outline[[y1, y2], x1:x2 + 1] = True
            outline[y1:y2 + 1, [x1, x2]] = True
        b, g, r = (pic[..., c].astype(int) for c in range(3))
        green = (g > r + 60) & (g > b + 60)  # BOX_COLOUR
        near = cv2.dilate(outline.astype(np.uint8), np.ones((3, 3))) > 0
        assert len(gt.bboxes) >= 3
        assert green[near].sum() >= 0.98 * green.sum()
        assert green.sum() >= 0.5 * outline.sum()
        kpts = gt.keypoints.numpy()
        for v in range(kpts.shape[0]):
            for k, kp_name in enumerate(KEYPOINT_NAMES):
                x, y = np.round(kpts[v, k, :2]).astype(int)
                want = POINT_COLOURS[kp_name.split('_')[1]]
                points += bool(np.abs(pic[y, x].astype(int) -
                                      want).max() < 40)
        assert points >= 0.9 * kpts[..., 0].size
    batch = cv2.imread(str(tmp_path / 'batch.png'))
    assert batch.size >= 2 * pic.size * 0.9


def test_benchmark_prints_side_by_side_ratios():
    out = _ok(run_tool([sys.executable,
                        'tools/analysis_tools/benchmark_vertebra.py', KPT_CPU,
                        '--size', '128', '--batch', '1', '--iters', '1',
                        '--warmup', '0']))
    lines = {line.split()[0] + ' ' + line.split()[1]: line.split()[2:]
             for line in out.splitlines() if line.startswith(
                 ('train img/s', 'infer img/s', 'peak mem'))}
    assert set(lines) == {'train img/s', 'infer img/s', 'peak mem'}
    for vals in lines.values():
        v, s, ratio = (float(x) for x in vals[-3:])
        # the printed ratio is of the unrounded figures (2 decimals shown)
        lo, hi = (v - 0.005) / (s + 0.005), (v + 0.005) / (s - 0.005)
        assert lo - 5e-4 <= ratio <= hi + 5e-4


def test_benchmark_feeds_the_configs_own_keypoint_count():
    """The AP configs predict 4 corners per vertebra, the lateral ones 6:
    the random batch must carry as many, or the keypoint loss fails (it
    did, on every AP config)."""
    from mmengine.config import Config

    from spinemm.engine.benchmark import measure, random_batch
    batch = random_batch(64, 1, 'cpu', num_keypoints=4)
    assert batch['data_samples'][0].gt_instances.keypoints.shape == (8, 4, 3)
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'vertebra_ap',
        'cascade-mask-rcnn-kpt_r18_fpn_8e_aasce-cpu.py'))
    assert cfg.model.roi_head.keypoint_head.num_keypoints == 4
    r = measure(cfg, size=96, batch=1, iters=1, warmup=0)
    assert r['train_img_s'] > 0 and r['infer_img_s'] > 0
