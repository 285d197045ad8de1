import json
import os.path as osp

import numpy as np
import pytest

from spinemm.formats import (VERSE_LEVELS, centroids_to_world, index_verse,
                             read_verse_centroids)
from spinemm.io import read_nifti
from spinemm.phantoms import make_ct_phantom, write_verse_phantoms
from spinemm.phantoms.ct import HU


@pytest.fixture(scope='module')
def phantom():
    return make_ct_phantom(5, num_vertebrae=(4, 4), fracture_prob=0.6)


def test_geometry_labels_and_intensities(phantom):
    ct, lab = phantom.ct, phantom.labels
    assert ct.orientation == ('R', 'A', 'S') and ct.spacing == (1.5, ) * 3
    np.testing.assert_array_equal(ct.affine, lab.affine)
    assert [VERSE_LEVELS[v.label] for v in phantom.vertebrae] == \
        [v.level for v in phantom.vertebrae]
    inv = np.linalg.inv(ct.affine)
    for v in phantom.vertebrae:
        ijk = tuple(np.round(inv[:3, :3] @ v.centroid + inv[:3, 3]).astype(int))
        assert lab.data[ijk] == v.label  # body centre inside its label
        # the six keypoints are the heights, superior above inferior
        kp = v.keypoints
        assert np.linalg.norm(kp[5] - kp[0]) == pytest.approx(
            v.heights_mm['anterior'])
        assert np.linalg.norm(kp[3] - kp[2]) == pytest.approx(
            v.heights_mm['posterior'])
        assert kp[4, 2] > kp[1, 2]
        assert kp[0, 1] > kp[2, 1]  # anterior points are further +y (A)
    bone = ct.data[lab.data > 0]
    assert np.median(bone) > HU['trabecular'] - 50
    assert (ct.data < -900).any()  # air outside the body
    assert sum(v.genant_grade > 0 for v in phantom.vertebrae) >= 1


@pytest.mark.parametrize('release', [2019, 2020])
def test_verse_layout_round_trip(tmp_path, release):
    split_dir = write_verse_phantoms(str(tmp_path), release=release,
                                     num_cases=2, num_vertebrae=(3, 4),
                                     progress=False)
    cases = index_verse(str(tmp_path))
    assert len(cases) == 2 and {c['release'] for c in cases} == {release}
    assert all(c['mask'] and c['centroids'] for c in cases)
    for c in cases:
        ctd = read_verse_centroids(c['centroids'])
        assert ctd['direction'] == ('P', 'I', 'R')
        mask = read_nifti(c['mask'])
        truth = json.load(open(c['mask'].replace('_seg-vert_msk.nii.gz',
                                                 '_truth.json')))
        world = centroids_to_world(ctd, mask)
        for t in truth:
            # centroids are stored to 0.01 voxel (1.5 mm voxels)
            assert np.linalg.norm(world[t['label']] - t['centroid']) < 0.02
    assert osp.basename(split_dir) in ('dataset-verse19training',
                                       'dataset-01training')


def test_drr_keypoints_are_projections_of_the_3d_ones(tmp_path):
    from pycocotools.coco import COCO

    from spinemm.phantoms import write_radiograph_dataset
    out = tmp_path / 'drr'
    write_radiograph_dataset(out, num_images=3, kind='drr',
                             num_vertebrae=(3, 4), val_fraction=0.34,
                             progress=False)
    coco = COCO(str(out / 'annotations' / 'train.json'))
    assert len(coco.getImgIds()) == 2
    for ann in coco.loadAnns(coco.getAnnIds()):
        img = coco.loadImgs(ann['image_id'])[0]
        sp = img['pixel_spacing'][0]
        kp = np.array(ann['keypoints']).reshape(6, 3)[:, :2]
        # a parallel lateral projection keeps mid-sagittal distances
        h = ann['heights_mm']
        # (json stores coordinates and heights to 0.001)
        assert np.linalg.norm(kp[5] - kp[0]) * sp == pytest.approx(
            h['anterior'], abs=0.005)
        assert np.linalg.norm(kp[3] - kp[2]) * sp == pytest.approx(
            h['posterior'], abs=0.005)
        # standard display: anterior (bottom_left) left of posterior, top up
        assert kp[0, 0] < kp[2, 0] and kp[5, 1] < kp[0, 1]
        m = coco.annToMask(ann)
        for x, y in kp:  # on the projected body outline (within 2 px)
            win = m[max(int(y) - 2, 0):int(y) + 3, max(int(x) - 2, 0):int(x) + 3]
            assert win.any() and not win.all()


def test_anatomy_phantoms_of_one_field_of_view_in_the_verse_layout(tmp_path):
    """make_phantoms.py --kind ct-anatomy --fov neck: VerSe 2019 test
    cases whose masks hold C1 down to the neck's end, no thoracic level,
    on the CT's grid; the same seed writes the same CTs."""
    from spinemm.phantoms import write_anatomy_verse_phantoms
    split_dir = write_anatomy_verse_phantoms(str(tmp_path / 'a'), 'neck',
                                             num_cases=2, spacing=3.0,
                                             progress=False)
    assert osp.basename(split_dir) == 'dataset-verse19test'
    cases = index_verse(str(tmp_path / 'a'))
    assert [osp.basename(c['ct']) for c in cases] == [
        'sub-neck00_ct.nii.gz', 'sub-neck01_ct.nii.gz']
    for c in cases:
        mask, ct = read_nifti(c['mask']), read_nifti(c['ct'])
        assert mask.data.shape == ct.data.shape
        assert np.allclose(mask.affine, ct.affine)
        labels = set(np.unique(mask.data)) - {0}
        assert {1, 2, 3, 4, 5} <= labels and max(labels) <= 7
    again = write_anatomy_verse_phantoms(str(tmp_path / 'b'), 'neck',
                                         num_cases=1, spacing=3.0,
                                         progress=False)
    first = osp.join('rawdata', 'sub-neck00', 'sub-neck00_ct.nii.gz')
    assert np.array_equal(read_nifti(osp.join(split_dir, first)).data,
                          read_nifti(osp.join(again, first)).data)
