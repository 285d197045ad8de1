"""VerSe formats on the real VerSe 2019 labels of sub-verse004
(../shared/data/real/verse004_labels, CC BY-SA 4.0) and VID keypoints."""
import json
import os.path as osp
import shutil

import nibabel as nib
import numpy as np
import pytest

from conftest import ROOT
from spinemm.formats import (VERSE_LEVELS, centroids_to_world, index_verse,
                             read_verse_centroids, verse_folder_names,
                             write_verse_centroids)
from spinemm.io import read_nifti, reorient

REAL = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real', 'verse004_labels')
CTD = osp.join(REAL, 'sub-verse004_seg-subreg_ctd.json')
MSK = osp.join(REAL, 'sub-verse004_seg-vert_msk.nii.gz')
pytestmark = pytest.mark.skipif(not osp.isdir(REAL),
                                reason='../shared/data/real is not present')


def test_label_numbering():
    assert VERSE_LEVELS[1] == 'C1' and VERSE_LEVELS[8] == 'T1'
    assert VERSE_LEVELS[20] == 'L1' and VERSE_LEVELS[25] == 'L6'
    assert VERSE_LEVELS[26] == 'S1' and VERSE_LEVELS[28] == 'T13'


def test_centroids_lie_in_their_vertebra_in_any_orientation():
    ctd = read_verse_centroids(CTD)
    assert ctd['direction'] == ('P', 'I', 'R')
    assert [c['level'] for c in ctd['centroids']] == \
        ['T9', 'T10', 'T11', 'T12', 'L1', 'L2', 'L3', 'L4', 'L5']
    mask = read_nifti(MSK)
    # the same mask stored in another orientation gives the same world points
    for vol in (mask, reorient(mask, ('R', 'A', 'S'))):
        world = centroids_to_world(ctd, vol)
        inv = np.linalg.inv(vol.affine)
        for label, p in world.items():
            ijk = np.round(inv[:3, :3] @ p + inv[:3, 3]).astype(int)
            assert vol.data[tuple(ijk)] == label


def test_centroids_agree_with_independent_vid_keypoints():
    # VID annotates the vertebral body centre of the same scan in world LPS mm
    ctd = read_verse_centroids(CTD)
    world = centroids_to_world(ctd, read_nifti(MSK))
    with open(osp.join(REAL, 'vid_keypoints_gt_c4RqiADLFOuB.json')) as f:
        vid = {k['type']['spine_level']: np.array(k['coordinates']
                                                  ['world_space'])
               for k in json.load(f)
               if k['type']['keypoint_type'] == 'body'}
    dists = [np.linalg.norm(world[c['label']] * [-1, -1, 1] - vid[c['level']])
             for c in ctd['centroids']]
    assert max(dists) < 10  # mm; an axis mix-up gives tens to hundreds


def test_centroid_json_round_trip(tmp_path):
    ctd = read_verse_centroids(CTD)
    out = str(tmp_path / 'x_ctd.json')
    write_verse_centroids(out, ctd['direction'], ctd['centroids'])
    assert read_verse_centroids(out) == ctd


def test_bad_centroid_file_is_named(tmp_path):
    bad = tmp_path / 'bad_ctd.json'
    bad.write_text('[{"label": 3, "X": 1, "Y": 2, "Z": 3}]')
    with pytest.raises(ValueError, match='bad_ctd.json'):
        read_verse_centroids(str(bad))


@pytest.mark.parametrize('release', [2019, 2020])
def test_index_published_layouts(tmp_path, release):
    split = verse_folder_names(release)[0]
    stem = 'sub-verse004' if release == 2019 else 'sub-verse004_dir-ax'
    raw = tmp_path / split / 'rawdata' / 'sub-verse004'
    der = tmp_path / split / 'derivatives' / 'sub-verse004'
    raw.mkdir(parents=True)
    der.mkdir(parents=True)
    m = nib.load(MSK)
    # the CT is not part of the sample: a stand-in on the mask's grid
    nib.save(nib.Nifti1Image(np.zeros(m.shape, np.int16), m.affine),
             str(raw / f'{stem}_ct.nii.gz'))
    shutil.copy(MSK, der / f'{stem}_seg-vert_msk.nii.gz')
    shutil.copy(CTD, der / f'{stem}_seg-subreg_ctd.json')
    # a test-split subject without labels
    other = tmp_path / split / 'rawdata' / 'sub-verse999'
    other.mkdir()
    shutil.copy(raw / f'{stem}_ct.nii.gz',
                other / f'{stem.replace("004", "999")}_ct.nii.gz')
    cases = index_verse(str(tmp_path))
    assert [c['subject'] for c in cases] == ['sub-verse004', 'sub-verse999']
    first = cases[0]
    assert first['release'] == release and first['split'] == split
    assert first['stem'] == stem and osp.isfile(first['mask'])
    assert osp.isfile(first['centroids'])
    assert cases[1]['mask'] is None and cases[1]['centroids'] is None
    with pytest.raises(FileNotFoundError, match='no VerSe CT'):
        index_verse(str(tmp_path / 'empty'))
