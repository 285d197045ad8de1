"""Class volumes -> vertebra instances, and the model-grid round trip of the
volume inference path."""
import numpy as np
import pytest

from spinemm.seg.volume_labels import (class_labels, instances_from_classes,
                                       relabel_by_overlap)


def test_levels_keep_the_largest_component_of_each_class():
    classes = ('background', 'L1', 'L2')
    vol = np.zeros((30, 10, 10), np.uint8)
    vol[2:10, 2:8, 2:8] = 1  # L1 body
    vol[12:20, 2:8, 2:8] = 2  # L2 body
    vol[25:27, 0:2, 0:2] = 1  # a stray L1 blob, smaller
    out = instances_from_classes(vol, classes, min_voxels=10)
    assert set(np.unique(out)) == {0, 20, 21}
    assert (out == 20).sum() == 8 * 6 * 6 and (out[25:27, 0:2, 0:2] == 0).all()
    # too small to keep
    assert not instances_from_classes(vol, classes, min_voxels=300).any()


def test_binary_instances_are_numbered_head_to_foot():
    vol = np.zeros((30, 10, 10), np.uint8)
    vol[15:25, 2:8, 2:8] = 1
    vol[2:10, 2:8, 2:8] = 1
    vol[0, 0, 0] = 1  # one stray voxel
    out = instances_from_classes(vol, ('background', 'vertebra'), 5)
    assert out[5, 5, 5] == 1 and out[20, 5, 5] == 2 and out[0, 0, 0] == 0
    gt = np.where(out == 1, 22, np.where(out == 2, 23, 0)).astype(np.uint8)
    gt[15, 2, 2] = 0
    assert np.array_equal(relabel_by_overlap(out, gt)[out > 0],
                          np.where(out == 1, 22, 23)[out > 0])


def test_class_labels_need_verse_level_names():
    assert class_labels(('background', 'vertebra')) is None
    assert class_labels(('background', 'C1', 'L5')) == [0, 1, 24]
    with pytest.raises(ValueError, match='L9'):
        class_labels(('background', 'L9'))


def test_model_grid_round_trip_returns_the_ct_labels():
    """What the volume tool does around the network: CT grid -> 1 mm
    ('I', 'P', 'R') -> classes -> instances -> back to the CT's grid. With
    the true classes in the middle, the phantom's mask comes back."""
    from spinemm.apis.volume_segment import labels_to_ct, to_model_grid
    from spinemm.formats.verse_slices import level_classes
    from spinemm.io import Volume
    from spinemm.phantoms.ct import make_ct_phantom
    ph = make_ct_phantom(2, num_vertebrae=(4, 4), spacing=1.5)
    grid = to_model_grid(ph.labels, 1.0, is_label=True)
    assert grid.orientation == ('I', 'P', 'R') and \
        np.allclose(grid.spacing, 1.0)
    classes = ('background', ) + tuple(v.level for v in ph.vertebrae)
    inst = instances_from_classes(level_classes(grid.data, classes), classes)
    back = labels_to_ct(Volume(inst, grid.affine), ph.ct)
    assert back.data.shape == ph.ct.data.shape
    assert np.allclose(back.affine, ph.ct.affine)
    for v in ph.vertebrae:
        g, p = ph.labels.data == v.label, back.data == v.label
        assert 2 * (g & p).sum() / (g.sum() + p.sum()) > 0.97


@pytest.mark.parametrize('plane', ['sagittal', 'coronal'])
def test_put_slice_inverts_take_slice(plane):
    from spinemm.formats.verse_slices import put_slice, take_slice
    vol = np.arange(4 * 5 * 6).reshape(4, 5, 6)
    rebuilt = np.zeros_like(vol)
    n = vol.shape[2] if plane == 'sagittal' else vol.shape[1]
    for k in range(n):
        put_slice(rebuilt, k, plane, take_slice(vol, k, plane))
    assert np.array_equal(rebuilt, vol)
