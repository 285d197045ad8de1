import json
import os
import os.path as osp

import numpy as np
import pytest
from scipy import ndimage
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from spinemm.anatomy import KEYPOINT_NAMES, LEVELS, genant_grade
from spinemm.phantoms import make_radiograph_phantom, write_radiograph_dataset


def test_same_seed_same_phantom():
    a, b = make_radiograph_phantom(7), make_radiograph_phantom(7)
    assert np.array_equal(a.image, b.image)
    assert a.pixel_spacing == b.pixel_spacing
    c = make_radiograph_phantom(8)
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize('seed', range(6))
def test_heights_and_grades_follow_keypoints(seed):
    ph = make_radiograph_phantom(seed, fracture_prob=0.5)
    assert 5 <= len(ph.vertebrae) <= 17
    for v in ph.vertebrae:
        kp = v.keypoints * ph.pixel_spacing  # mm
        d = lambda i, j: np.linalg.norm(kp[i] - kp[j])  # noqa: E731
        # anterior: bottom_left-top_left, middle, posterior: bottom_right-top_right
        assert d(0, 5) == pytest.approx(v.heights_mm['anterior'], rel=1e-6)
        assert d(1, 4) == pytest.approx(v.heights_mm['middle'], rel=1e-6)
        assert d(2, 3) == pytest.approx(v.heights_mm['posterior'], rel=1e-6)
        assert genant_grade(v.height_loss) == v.genant_grade
        assert (v.fracture_type is None) == (v.genant_grade == 0)
        if v.fracture_type == 'wedge':
            loss = 1 - v.heights_mm['anterior'] / v.heights_mm['posterior']
            assert loss == pytest.approx(v.height_loss, abs=1e-9)
        if v.fracture_type == 'biconcave':
            loss = 1 - v.heights_mm['middle'] / v.heights_mm['posterior']
            assert loss == pytest.approx(v.height_loss, abs=1e-9)


def _bright_run(image, a, b, ext=0.35, step=0.05):
    """Length (px) of the bright run through the middle of segment a-b.

    Samples the rendered image along the line a-b extended by ``ext`` at both
    ends; the threshold sits halfway between the body (the middle half of the
    segment) and the darkest tenth beyond each end (disc or background).
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    length = np.linalg.norm(b - a)
    ts = np.arange(-ext, 1 + ext, step / length)
    pts = a + ts[:, None] * (b - a)
    prof = ndimage.map_coordinates(image.astype(float),
                                   [pts[:, 1], pts[:, 0]], order=1)
    body = np.median(prof[(ts > 0.25) & (ts < 0.75)])
    dark = min(np.percentile(prof[ts < 0], 10),
               np.percentile(prof[ts > 1], 10))
    above = prof > (body + dark) / 2
    i = j = int(np.argmin(np.abs(ts - 0.5)))
    while i > 0 and above[i - 1]:
        i -= 1
    while j < len(ts) - 1 and above[j + 1]:
        j += 1
    return (ts[j] - ts[i]) * length


def test_rendered_bodies_have_the_recorded_heights():
    """Heights read off the pixels, not the generator's own arithmetic: the
    bright run of each body along its middle line (bottom_middle-top_middle)
    matches ``heights_mm['middle']``, and for wedge fractures the anterior /
    posterior runs, 15 % inside the corners, give the recorded wedge."""
    f = 0.15
    mid_err, wedge_err = [], []
    for seed in range(30):
        ph = make_radiograph_phantom(seed, image_size=512, fracture_prob=0.6,
                                     hardware_prob=0)
        for v in ph.vertebrae:
            kp, h = v.keypoints, v.heights_mm
            run = _bright_run(ph.image, kp[1], kp[4])
            mid_err.append(run - h['middle'] / ph.pixel_spacing)
            if v.fracture_type != 'wedge':
                continue

            def inward(i0, i1):
                return (kp[i0] + f * (kp[1] - kp[i0]),
                        kp[i1] + f * (kp[4] - kp[i1]))
            ant = _bright_run(ph.image, *inward(0, 5))
            post = _bright_run(ph.image, *inward(2, 3))
            # the true heights on those two lines (linear between corners)
            t_ant = h['anterior'] + f * (h['middle'] - h['anterior'])
            t_post = h['posterior'] + f * (h['middle'] - h['posterior'])
            wedge_err.append((1 - ant / post) - (1 - t_ant / t_post))
    mid_err, wedge_err = np.abs(mid_err), np.abs(wedge_err)
    assert len(wedge_err) >= 20
    # the bright endplate rim and the blur add ~1.5 px to the run
    assert np.median(mid_err) <= 2.0 and np.percentile(mid_err, 90) <= 3.0
    assert wedge_err.max() <= 0.07 and np.median(wedge_err) <= 0.03


def test_fractured_vertebrae_are_not_adjacent():
    for seed in range(20):
        grades = [v.genant_grade for v in
                  make_radiograph_phantom(seed, fracture_prob=0.9).vertebrae]
        assert all(not (a and b) for a, b in zip(grades, grades[1:]))


def test_anterior_points_are_on_the_facing_side():
    facings = set()
    for seed in range(12):
        ph = make_radiograph_phantom(seed)
        facings.add(ph.facing)
        for v in ph.vertebrae:
            kp = dict(zip(KEYPOINT_NAMES, v.keypoints))
            ant_x = (kp['bottom_left'][0] + kp['top_left'][0]) / 2
            post_x = (kp['bottom_right'][0] + kp['top_right'][0]) / 2
            assert (ant_x < post_x) == (ph.facing == 'left')
            # superior points are higher in the image (smaller y)
            assert kp['top_middle'][1] < kp['bottom_middle'][1]
    assert facings == {'left', 'right'}, 'phantoms must face both ways'


def test_coco_json_loads_and_geometry_agrees(phantom_root):
    coco = COCO(osp.join(phantom_root, 'annotations', 'train.json'))
    cat = coco.loadCats(coco.getCatIds())[0]
    assert cat['keypoints'] == list(KEYPOINT_NAMES)
    assert len(coco.getImgIds()) == 8
    n = 0
    for img_id in coco.getImgIds():
        img = coco.loadImgs(img_id)[0]
        assert osp.isfile(osp.join(phantom_root, 'images', img['file_name']))
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img_id)):
            m = coco.annToMask(ann)
            ys, xs = np.nonzero(m)
            x, y, w, h = ann['bbox']
            # the box is the mask's extent (pixel centres vs polygon: <= 1 px)
            assert abs(xs.min() - x) <= 1 and abs(ys.min() - y) <= 1
            assert abs(xs.max() + 1 - (x + w)) <= 1
            assert abs(ys.max() + 1 - (y + h)) <= 1
            assert ann['area'] == pytest.approx(m.sum(), rel=0.1)
            kps = np.array(ann['keypoints']).reshape(6, 3)
            assert ann['num_keypoints'] == 6 and (kps[:, 2] == 2).all()
            for kx, ky, _ in kps:
                # each keypoint lies on its vertebra's outline: the pixels
                # within 2 px hold both mask and background
                r, c = int(ky), int(kx)
                win = m[max(r - 2, 0):r + 3, max(c - 2, 0):c + 3]
                assert win.any() and not win.all()
            rle = mask_utils.frPyObjects(ann['segmentation'], img['height'],
                                         img['width'])
            assert mask_utils.area(rle).sum() == m.sum()
            n += 1
    assert n > 30


def test_meta_json_matches_coco(phantom_root):
    data = json.load(open(osp.join(phantom_root, 'annotations', 'val.json')))
    img = data['images'][0]
    meta = json.load(open(osp.join(
        phantom_root, 'meta', img['file_name'].replace('.png', '.json'))))
    anns = [a for a in data['annotations'] if a['image_id'] == img['id']]
    assert [a['level'] for a in anns] == [v['level'] for v in meta['vertebrae']]
    assert meta['pixel_spacing'] == img['pixel_spacing']
    assert meta['facing'] in ('left', 'right')
    # superior first, consecutive levels
    index = [LEVELS.index(v['level']) for v in meta['vertebrae']]
    assert index == list(range(index[0], index[0] + len(index)))


def test_writer_is_idempotent_and_atomic(tmp_path):
    out = tmp_path / 'ph'
    write_radiograph_dataset(out, num_images=3, image_size=128, progress=False)
    png = out / 'images' / 'phantom_00000.png'
    mtime = os.stat(png).st_mtime_ns
    write_radiograph_dataset(out, num_images=3, image_size=128, progress=False)
    assert os.stat(png).st_mtime_ns == mtime, 'same parameters: kept as is'
    # a failing run (bad parameter mid-way) leaves the previous dataset intact
    with pytest.raises(Exception):
        write_radiograph_dataset(out, num_images=3, image_size=128,
                                 num_vertebrae=(5, 'x'), progress=False)
    assert os.stat(png).st_mtime_ns == mtime
    assert sorted(os.listdir(tmp_path)) == ['ph']
