"""The keypoint detector through the user-facing tools: train, test with
keypoint metrics and --out, infer on PNG and DICOM, browse, benchmark."""
import json
import os
import os.path as osp
import sys


from conftest import KPT_CPU, run_tool
from conftest import ok as _ok


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
    pngs = sorted(f for f in os.listdir(tmp_path) if f.endswith('.png'))
    assert len(pngs) == 4 and pngs[-1] == 'batch.png'  # 3 + all tiled


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
