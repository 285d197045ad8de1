"""Image/label pairs on the real lumbar MR slices
(../shared/data/real/mr2d_lumbar, MIT) and on DICOM + label files."""
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from conftest import ROOT
from spinemm.formats import (label_value_set, pair_by_stem, read_image,
                             read_label_map)

MR = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real', 'mr2d_lumbar')
needs_real = pytest.mark.skipif(not osp.isdir(MR),
                                reason='../shared/data/real is not present')


@needs_real
def test_real_mr_pairs_and_label_values():
    pairs = pair_by_stem(osp.join(MR, 'images'), osp.join(MR, 'masks'))
    assert [p[0] for p in pairs] == [str(i) for i in range(14)]
    counts = label_value_set(pairs, known_values=(0, 1, 2))
    assert list(counts) == [0, 1, 2]  # background, disc, vertebra
    masks = [np.load(osp.join(MR, 'masks', f'{i}.npy')) for i in range(14)]
    assert counts == {v: sum(int((m == v).any()) for m in masks)
                      for v in (0, 1, 2)}
    img = read_image(pairs[2][1])
    lab = read_label_map(pairs[2][2])
    assert img.shape == lab.shape == (256, 256)
    np.testing.assert_array_equal(lab, masks[2])
    assert (lab == 1).sum() > 100 and (lab == 2).sum() > 1000


@needs_real
def test_unpaired_stems_are_listed(tmp_path):
    shutil.copytree(osp.join(MR, 'images'), tmp_path / 'images')
    shutil.copytree(osp.join(MR, 'masks'), tmp_path / 'masks')
    (tmp_path / 'images' / '3.png').unlink()
    (tmp_path / 'masks' / '7.npy').unlink()
    with pytest.raises(ValueError) as e:
        pair_by_stem(str(tmp_path / 'images'), str(tmp_path / 'masks'))
    assert "['7']" in str(e.value) and "['3']" in str(e.value)


@needs_real
def test_jpeg_labels_are_snapped_with_a_warning(tmp_path):
    lab = read_label_map(osp.join(MR, 'masks', '2.npy'))
    path = str(tmp_path / '2.jpg')
    cv2.imwrite(path, (lab * 100).astype(np.uint8),
                [cv2.IMWRITE_JPEG_QUALITY, 70])
    with pytest.raises(ValueError, match='lossy'):
        read_label_map(path)
    with pytest.warns(UserWarning, match='snapped'):
        snapped = read_label_map(path, known_values=(0, 100, 200))
    assert set(np.unique(snapped)) <= {0, 100, 200}
    assert (snapped == lab * 100).mean() > 0.97


def test_dicom_images_with_npy_labels(tmp_path):
    from spinemm.io import write_dicom_radiograph
    (tmp_path / 'dicoms').mkdir()
    (tmp_path / 'labels').mkdir()
    for i in range(3):
        img = np.full((32, 32), 100 + i, np.uint16)
        write_dicom_radiograph(str(tmp_path / 'dicoms' / f'{i:04d}.dcm'), img,
                               (0.5, 0.5))
        np.save(tmp_path / 'labels' / f'{i:04d}.npy',
                np.eye(32, dtype=np.uint8) * (i + 1))
    pairs = pair_by_stem(str(tmp_path / 'dicoms'), str(tmp_path / 'labels'))
    assert [p[0] for p in pairs] == ['0000', '0001', '0002']
    assert read_image(pairs[2][1]).mean() == 102
    assert label_value_set(pairs) == {0: 3, 1: 1, 2: 1, 3: 1}
    with pytest.raises(ValueError, match=r'outside \[0, 1, 2\]'):
        label_value_set(pairs, known_values=(0, 1, 2))
