"""Morphometry report: truth in, truth out; units; mirror; files; the tool."""
import csv
import json
import os.path as osp
import sys

import numpy as np
import pytest

from conftest import ok, run_tool
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
