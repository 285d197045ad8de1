"""The keypoint detector through the user-facing tools: train, test with
keypoint metrics and --out, infer on PNG and DICOM, browse, benchmark."""
import json
import os
import os.path as osp
import sys

import pytest

from conftest import ROOT, run_tool

KPT_CPU = osp.join(ROOT, 'configs', 'vertebra_det',
                   'cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py')


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def tiny_kpt(phantom_root, tmp_path_factory):
    root = phantom_root.rstrip('/') + '/'
    path = tmp_path_factory.mktemp('cfg') / 'tiny_kpt.py'
    path.write_text(f'''
_base_ = {KPT_CPU!r}
_loader = dict(num_workers=0, persistent_workers=False, batch_size=2,
               dataset=dict(data_root={root!r}))
train_dataloader = _loader
val_dataloader = _loader
test_dataloader = _loader
val_evaluator = [
    dict(type='CocoMetric', ann_file={root + 'annotations/val.json'!r},
         metric=['bbox']),
    dict(type='spinemm.VertebraKeypointMetric',
         ann_file={root + 'annotations/val.json'!r}, score_thr=0.0),
]
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2,
                 val_interval=1000)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, by_epoch=False))
log_processor = dict(by_epoch=False)
''')
    work = str(tmp_path_factory.mktemp('work'))
    out = _ok(run_tool([sys.executable, 'tools/train.py', str(path),
                        '--work-dir', work]))
    assert 's2.loss_kpt' in out
    return str(path), osp.join(work, 'iter_2.pth')


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
    assert osp.isfile(tmp_path / 'pred.bbox.json')
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
    assert sorted(os.listdir(out)) == ['a.json', 'a.png', 'b.json', 'b.png']
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


def test_api_matches_the_tool(tiny_kpt, phantom_root):
    from spinemm.apis import VertebraDetector
    cfg, ckpt = tiny_kpt
    det = VertebraDetector(cfg, ckpt, score_thr=0.0)
    path = osp.join(phantom_root, 'images', 'phantom_00009.png')
    r1, r2 = det(path), det(path)
    assert r1 == r2  # deterministic
    rows = [v['bbox'][1] for v in r1['vertebrae']]
    assert rows == sorted(rows)  # head to foot


def test_browse_dataset_draws_pngs(tiny_kpt, tmp_path):
    cfg, _ = tiny_kpt
    _ok(run_tool([sys.executable, 'tools/analysis_tools/browse_dataset.py',
                  cfg, '--out-dir', str(tmp_path), '-n', '3']))
    assert len([f for f in os.listdir(tmp_path) if f.endswith('.png')]) == 3


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
        assert ratio == pytest.approx(v / s, rel=2e-3)
