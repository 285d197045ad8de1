"""Morphometry report: truth in, truth out; units; mirror; files; the tool."""
import csv
import json
import os.path as osp
import sys

import numpy as np
import pytest

from conftest import ROOT, ok, run_tool
from spinemm.apis.report import load_any, make_report, write_report


def _phantom_meta(phantom_root, n=10):
    import glob
    files = sorted(glob.glob(osp.join(phantom_root, 'meta', '*.json')))[:n]
    return [json.load(open(f)) for f in files]


def test_truth_keypoints_reproduce_heights_and_grades(phantom_root):
    agree = total = 0
    for m in _phantom_meta(phantom_root):
        vs = [dict(keypoints=v['keypoints'], label=v['level'])
              for v in m['vertebrae']]
        r = make_report(np.zeros((192, 192, 3), np.uint8), vs,
                        m['pixel_spacing'], 'PixelSpacing')
        assert r['unit'] == 'mm' and r['note'] is None
        for row in r['vertebrae']:
            truth = m['vertebrae'][row['index']]
            assert row['level'] == truth['level']
            for key, name in (('ha', 'anterior'), ('hm', 'middle'),
                              ('hp', 'posterior')):
                assert row[key] == pytest.approx(truth['heights_mm'][name],
                                                 abs=0.01)
            total += 1
            agree += row['grade'] == truth['genant_grade']
    assert total > 30 and agree / total >= 0.95


def test_mirrored_image_gives_the_same_report(phantom_root):
    m = _phantom_meta(phantom_root, 1)[0]
    w = 192
    vs = [dict(keypoints=v['keypoints'], label=v['level'])
          for v in m['vertebrae']]
    mirrored = [dict(v, keypoints=[[w - x, y] for x, y in v['keypoints']])
                for v in vs]
    img = np.zeros((192, w, 3), np.uint8)
    a = make_report(img, vs, m['pixel_spacing'])
    b = make_report(img, mirrored, m['pixel_spacing'])
    for ra, rb in zip(a['vertebrae'], b['vertebrae']):
        for key in ('ha', 'hm', 'hp', 'height_loss', 'grade',
                    'fracture_type'):
            assert ra[key] == pytest.approx(rb[key]) if isinstance(
                ra[key], float) else ra[key] == rb[key]


def test_without_spacing_heights_are_pixels_and_it_says_so(tmp_path,
                                                          phantom_root):
    m = _phantom_meta(phantom_root, 1)[0]
    vs = [dict(keypoints=v['keypoints']) for v in m['vertebrae']]
    img = np.zeros((192, 192, 3), np.uint8)
    mm = make_report(img, vs, m['pixel_spacing'])
    px = make_report(img, vs)
    assert px['unit'] == 'px' and 'pixels' in px['note']
    s = m['pixel_spacing'][0]
    assert px['vertebrae'][0]['ha'] * s == pytest.approx(
        mm['vertebrae'][0]['ha'], rel=1e-3)
    write_report(px, img, str(tmp_path), 'case')
    with open(tmp_path / 'case.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(vs) and rows[0]['unit'] == 'px'
    assert json.loads((tmp_path / 'case.json').read_text())['unit'] == 'px'
    assert (tmp_path / 'case.png').stat().st_size > 0


def test_volume_input_gives_the_central_sagittal_slice(tmp_path):
    from spinemm.io import write_nifti
    from spinemm.phantoms import make_ct_phantom
    ph = make_ct_phantom(1)
    path = str(tmp_path / 'ct.nii.gz')
    write_nifti(ph.ct, path)
    img, spacing, source = load_any(path)
    assert img.ndim == 3 and spacing == pytest.approx((1.5, 1.5))
    assert 'volume' in source


def test_report_tool_on_dicom_and_png(tiny_kpt, phantom_root, tmp_path):
    import cv2

    from spinemm.io import write_dicom_radiograph
    cfg, ckpt = tiny_kpt
    img = cv2.imread(osp.join(phantom_root, 'images', 'phantom_00009.png'),
                     cv2.IMREAD_GRAYSCALE)
    src = tmp_path / 'in'
    src.mkdir()
    cv2.imwrite(str(src / 'plain.png'), img)
    write_dicom_radiograph(str(src / 'xray.dcm'), img, (0.25, 0.25))
    out = tmp_path / 'out'
    log = ok(run_tool([sys.executable, 'tools/report.py', str(src),
                       '--det-config', cfg, '--det-checkpoint', ckpt,
                       '--out-dir', str(out), '--score-thr', '0.0']))
    assert 'heights in px' in log and 'heights in mm (PixelSpacing)' in log
    for stem in ('plain', 'xray'):
        for ext in ('csv', 'json', 'png'):
            assert (out / f'{stem}.{ext}').is_file()
    x = json.loads((out / 'xray.json').read_text())
    assert x['unit'] == 'mm' and x['spacing'] == [0.25, 0.25]
    assert x['keypoints_from'] == 'detector'


def test_report_with_a_top_down_pose_model(tiny_kpt, phantom_root, tmp_path):
    """The README's best report row: detector boxes, keypoints from the
    top-down model. The report's keypoints are the pose model's on the
    detector's boxes (run here separately), its heights their distances."""
    import cv2
    import torch
    from mmpose.apis import inference_topdown, init_model

    from spinemm.anatomy import KEYPOINT_NAMES
    from spinemm.apis import VertebraDetector
    from spinemm.io import write_dicom_radiograph
    pose_cfg = osp.join(ROOT, 'configs', 'vertebra_pose',
                        'td-hm_res18_8e_phantom-cpu-96x96.py')
    torch.manual_seed(0)
    model = init_model(pose_cfg, None, device='cpu')
    pose_ckpt = str(tmp_path / 'pose.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=model.dataset_meta)), pose_ckpt)
    det_cfg, det_ckpt = tiny_kpt
    img = cv2.imread(osp.join(phantom_root, 'images', 'phantom_00009.png'),
                     cv2.IMREAD_GRAYSCALE)
    src = tmp_path / 'xray.dcm'
    write_dicom_radiograph(str(src), img, (0.25, 0.25))
    out = tmp_path / 'out'
    ok(run_tool([sys.executable, 'tools/report.py', str(src),
                 '--det-config', det_cfg, '--det-checkpoint', det_ckpt,
                 '--pose-config', pose_cfg, '--pose-checkpoint', pose_ckpt,
                 '--out-dir', str(out), '--score-thr', '0.0',
                 '--kpt-score-thr', '0.0']))
    rep = json.loads((out / 'xray.json').read_text())
    assert rep['keypoints_from'] == 'top-down model' and rep['unit'] == 'mm'
    # independently: the detector's boxes, then mmpose's own top-down call
    image = load_any(str(src))[0]  # the pixels the tool reads
    det = VertebraDetector(det_cfg, det_ckpt, score_thr=0.0)(image)
    boxes = np.array([v['bbox'] for v in det['vertebrae']])
    samples = inference_topdown(init_model(pose_cfg, pose_ckpt, 'cpu'),
                                image, boxes)
    expected = {tuple(np.round(b, 1)): s.pred_instances.keypoints[0]
                for b, s in zip(boxes, samples)}
    assert len(rep['vertebrae']) == len(boxes) > 0
    measured = 0
    for row in rep['vertebrae']:
        kp = np.array(row['keypoints'])
        want = expected[tuple(np.round(row['bbox'], 1))]
        assert np.allclose(kp, want, atol=0.02)
        p = dict(zip(KEYPOINT_NAMES, kp * 0.25))
        for key, (a, b) in dict(ha=('bottom_left', 'top_left'),
                                hm=('bottom_middle', 'top_middle'),
                                hp=('bottom_right', 'top_right')).items():
            dist = np.linalg.norm(p[a] - p[b])
            if row[key] is None:  # a point the report left out
                assert {a, b} & set(row['missing_keypoints']), str(row)
                continue
            # keypoints are written rounded to 0.01 px
            assert row[key] == pytest.approx(dist, abs=0.01)
            measured += 1
    assert measured >= len(rep['vertebrae'])
