"""Keypoints through mmdet's geometric transforms; flips keep anatomical names."""
import copy

import numpy as np
import pytest

from spinemm.anatomy import KEYPOINT_NAMES

BL, BM, BR, TR, TM, TL = range(6)


@pytest.fixture(scope='module')
def sample(phantom_root):
    from mmengine.registry import init_default_scope

    from spinemm.registry import DATASETS
    init_default_scope('mmdet')
    ds = DATASETS.build(dict(
        type='spinemm.VertebraCocoDataset', data_root=phantom_root,
        ann_file='annotations/train.json', data_prefix=dict(img='images/'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations', with_bbox=True,
                       with_mask=True),
                  dict(type='spinemm.LoadVertebraKeypoints')]))
    # one image per facing direction
    out = {}
    for i in range(len(ds)):
        r = ds[i]
        out.setdefault(r['facing'], r)
    assert set(out) == {'left', 'right'}, 'phantoms face both ways'
    return out


def _run(transform, results):
    from spinemm.det.transforms import WithKeypoints
    return WithKeypoints(transform)(copy.deepcopy(results))


def _anterior_is_left(kpts):
    """Per vertebra: is the anterior (``*_left``) side on the image's left?"""
    return (kpts[:, BL, 0] < kpts[:, BR, 0]) & (kpts[:, TL, 0] < kpts[:, TR, 0])


def test_names_follow_anatomy_in_both_facings(sample):
    assert KEYPOINT_NAMES[BL] == 'bottom_left'
    for facing, r in sample.items():
        k = r['gt_keypoints']
        # bottom = inferior: larger row than top, whatever the facing
        assert (k[:, BL, 1] > k[:, TL, 1]).all()
        assert _anterior_is_left(k).all() == (facing == 'left')
        assert (~_anterior_is_left(k)).all() == (facing == 'right')


def test_flip_mirrors_points_keeps_names_and_twice_is_identity(sample):
    r = sample['left']
    w = r['img'].shape[1]
    flip = dict(type='RandomFlip', prob=1.0, direction='horizontal')
    once = _run(flip, r)
    k0, k1 = r['gt_keypoints'], once['gt_keypoints']
    np.testing.assert_allclose(k1[..., 0], w - k0[..., 0], atol=1e-4)
    np.testing.assert_allclose(k1[..., 1:], k0[..., 1:])
    # bottom_left is still the inferior-anterior corner, now on the right
    assert (~_anterior_is_left(k1)).all()
    assert (k1[:, BL, 1] > k1[:, TL, 1]).all()
    twice = _run(flip, once)
    np.testing.assert_allclose(twice['gt_keypoints'], k0, atol=1e-4)
    np.testing.assert_array_equal(twice['img'], r['img'])


def test_resize_scales_points_with_the_boxes(sample):
    r = sample['right']
    out = _run(dict(type='Resize', scale=(400, 300), keep_ratio=False), r)
    sx = 400 / r['img'].shape[1]
    sy = 300 / r['img'].shape[0]
    np.testing.assert_allclose(out['gt_keypoints'][..., 0],
                               r['gt_keypoints'][..., 0] * sx, rtol=1e-5)
    np.testing.assert_allclose(out['gt_keypoints'][..., 1],
                               r['gt_keypoints'][..., 1] * sy, rtol=1e-5)


def test_crop_keeps_points_with_their_instances(sample):
    r = sample['left']
    np.random.seed(1)
    out = _run(dict(type='RandomCrop', crop_size=(0.6, 0.6),
                    crop_type='relative_range'), r)
    assert 0 < len(out['gt_keypoints']) <= len(r['gt_keypoints'])
    assert len(out['gt_keypoints']) == len(out['gt_bboxes']) == \
        len(out['gt_bboxes_labels']) == len(out['gt_masks'])
    assert (out['gt_bboxes_labels'] == 0).all()  # labels restored
    boxes = out['gt_bboxes'].numpy()
    k = out['gt_keypoints']
    vis = k[..., 2] > 0
    # every visible point lies in (or on the edge of) its own clipped box
    inside = ((k[..., 0] >= boxes[:, None, 0] - 1e-3) &
              (k[..., 0] <= boxes[:, None, 2] + 1e-3) &
              (k[..., 1] >= boxes[:, None, 1] - 1e-3) &
              (k[..., 1] <= boxes[:, None, 3] + 1e-3))
    assert inside[vis].all()
    # cut-off points are marked invisible, not dropped
    h, w = out['img'].shape[:2]
    off = (k[..., 0] < 0) | (k[..., 0] > w) | (k[..., 1] < 0) | \
        (k[..., 1] > h)
    assert not vis[off].any()


def _fit_rigid(src, dst):
    """Least-squares rotation + translation src -> dst (Kabsch), and the
    largest residual."""
    cs, cd = src.mean(0), dst.mean(0)
    u, _, vt = np.linalg.svd((src - cs).T @ (dst - cd))
    rot = (u @ vt).T
    t = cd - rot @ cs
    return rot, t, np.abs(src @ rot.T + t - dst).max()


def test_rotation_moves_points_with_the_masks(sample):
    """Checked without the transform's own record: the points move by one
    rigid rotation of 5 degrees whose fixed point is the image centre
    (mmdet's Rotate), and that same rotation carries each vertebra's mask
    centroid (rotated by mmdet's mask code) to the new mask's centroid."""
    r = sample['left']
    out = _run(dict(type='Rotate', prob=1.0, min_mag=5.0, max_mag=5.0,
                    reversal_prob=0.0), r)
    k0 = r['gt_keypoints'][..., :2].reshape(-1, 2).astype(float)
    k1 = out['gt_keypoints'][..., :2].reshape(-1, 2).astype(float)
    rot, t, resid = _fit_rigid(k0, k1)
    assert resid < 1e-2
    assert abs(abs(np.degrees(np.arctan2(rot[1, 0], rot[0, 0]))) - 5) < 1e-3
    h, w = r['img'].shape[:2]
    fixed = np.linalg.solve(np.eye(2) - rot, t)  # the rotation's centre
    np.testing.assert_allclose(fixed, [w / 2, h / 2], atol=1.0)

    def centroid(m):
        ys, xs = np.nonzero(m)
        return np.array([xs.mean() + 0.5, ys.mean() + 0.5])

    for m0, m1 in zip(r['gt_masks'].masks, out['gt_masks'].masks):
        assert np.abs(centroid(m1) - (rot @ centroid(m0) + t)).max() < 0.3


def test_pack_puts_keypoints_in_gt_instances(sample):
    from spinemm.det.transforms import PackVertebraInputs
    r = copy.deepcopy(sample['left'])
    packed = PackVertebraInputs()(r)
    gt = packed['data_samples'].gt_instances
    assert gt.keypoints.shape == (len(gt.bboxes), 6, 3)
    np.testing.assert_allclose(gt.keypoints.numpy(), r['gt_keypoints'])


def test_missing_loader_is_named(sample):
    from spinemm.det.transforms import WithKeypoints
    r = copy.deepcopy(sample['left'])
    del r['gt_keypoints']
    with pytest.raises(KeyError, match='LoadVertebraKeypoints'):
        WithKeypoints(dict(type='RandomFlip', prob=1.0))(r)
