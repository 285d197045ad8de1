"""The six vertebral keypoints through mmdet's data pipeline.

``LoadVertebraKeypoints`` puts ``gt_keypoints`` ((N, 6, 3) x, y, visibility,
in the order of the dataset's instances) into the results.
``WithKeypoints(transform=...)`` runs any mmdet geometric transform that
records its ``homography_matrix`` (Resize, RandomFlip, RandomCrop, Rotate,
ShearX/Y, TranslateX/Y, ...) and moves the keypoints by the same homography,
keeping only the instances the transform kept. Keypoint identity is
anatomical: a flip moves the points and never renames them (the left/right in
``bottom_left`` etc. refer to the standard lateral display, and after a flip
``bottom_left`` is still the inferior-anterior corner, now on the right).
``PackVertebraInputs`` packs them as ``gt_instances.keypoints``.
"""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackDetInputs

from ...registry import TRANSFORMS

NUM_KEYPOINTS = 6


@TRANSFORMS.register_module()
class LoadVertebraKeypoints(BaseTransform):
    """``results['instances'][i]['keypoints']`` -> ``gt_keypoints`` (N, K, 3)
    float32 (K = ``num_keypoints``: 6 lateral, 4 AP); an instance without
    keypoints gets visibility 0, one with another count is an error."""

    def __init__(self, num_keypoints=NUM_KEYPOINTS):
        self.num_keypoints = int(num_keypoints)

    def transform(self, results):
        kpts = []
        for inst in results.get('instances', []):
            k = inst.get('keypoints')
            if k is None:
                k = np.zeros((self.num_keypoints, 3), np.float32)
            k = np.asarray(k, np.float32).reshape(-1, 3)
            if len(k) != self.num_keypoints:
                raise ValueError(
                    f'{results.get("img_path")}: an instance has {len(k)} '
                    f'keypoints, the pipeline expects {self.num_keypoints} '
                    '(LoadVertebraKeypoints.num_keypoints)')
            kpts.append(k)
        results['gt_keypoints'] = np.stack(kpts) if kpts else np.zeros(
            (0, self.num_keypoints, 3), np.float32)
        return results


def apply_homography(points, matrix):
    """(..., 2) points through a 3x3 homography."""
    pts = np.asarray(points, np.float64)
    flat = pts.reshape(-1, 2)
    h = np.concatenate([flat, np.ones((len(flat), 1))], 1) @ np.asarray(
        matrix, np.float64).T
    return (h[:, :2] / h[:, 2:3]).reshape(pts.shape)


@TRANSFORMS.register_module()
class WithKeypoints(BaseTransform):
    """Apply ``transform`` to the image, boxes and masks and the same
    geometry to ``gt_keypoints``. ``flip_pairs`` (keypoint index pairs):
    when the geometry mirrors the image, those keypoints swap names (the AP
    scheme's patient right/left, :data:`spinemm.anatomy.AP_FLIP_PAIRS`); the
    lateral scheme has none.

    The inner transform's change of ``homography_matrix`` is the map applied
    to the points. To learn which instances it dropped, their labels are
    replaced by their indices for the duration of the call (mmdet filters
    labels with everything else) and restored afterwards. Points that leave
    the image get visibility 0.
    """

    def __init__(self, transform, flip_pairs=()):
        # unscoped types are mmdet's (mmcv's RandomFlip records no homography),
        # whatever scope is current when the pipeline is built
        from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
        from mmengine.registry import DefaultScope
        with DefaultScope.overwrite_default_scope('mmdet'):
            self.inner = MMDET_TRANSFORMS.build(transform)
        self.flip_pairs = [tuple(p) for p in flip_pairs]

    def transform(self, results):
        if 'gt_keypoints' not in results:
            raise KeyError('WithKeypoints needs gt_keypoints: put '
                           'spinemm.LoadVertebraKeypoints before it')
        before = results.get('homography_matrix')
        before = np.eye(3) if before is None else np.asarray(before)
        kpts = results['gt_keypoints']
        labels = results.get('gt_bboxes_labels')
        has_labels = labels is not None
        if has_labels:
            results['gt_bboxes_labels'] = np.arange(len(labels),
                                                    dtype=np.int64)
        out = self.inner(results)
        if out is None:
            return None
        if has_labels:
            kept = out['gt_bboxes_labels']
            out['gt_bboxes_labels'] = labels[kept]
            kpts = kpts[kept]
        after = out.get('homography_matrix')
        if after is None:
            raise ValueError(f'{type(self.inner).__name__} does not record '
                             'a homography_matrix: its effect on keypoints '
                             'is unknown')
        step = np.asarray(after, np.float64) @ np.linalg.inv(before)
        kpts = kpts.copy()
        if len(kpts):
            kpts[..., :2] = apply_homography(kpts[..., :2], step)
            if self.flip_pairs and np.linalg.det(step[:2, :2]) < 0:
                # a mirror: names with a side swap (the AP scheme)
                for a, b in self.flip_pairs:
                    kpts[:, [a, b]] = kpts[:, [b, a]]
            h, w = out['img'].shape[:2]
            outside = ((kpts[..., 0] < 0) | (kpts[..., 0] > w) |
                       (kpts[..., 1] < 0) | (kpts[..., 1] > h))
            kpts[..., 2] = np.where(outside, 0, kpts[..., 2])
        out['gt_keypoints'] = kpts.astype(np.float32)
        return out

    def __repr__(self):
        return f'{type(self).__name__}(transform={self.inner!r})'


@TRANSFORMS.register_module()
class PackVertebraInputs(PackDetInputs):
    """mmdet's packing plus ``gt_instances.keypoints`` (N, 6, 3)."""

    def transform(self, results):
        packed = super().transform(results)
        if 'gt_keypoints' in results:
            kpts = results['gt_keypoints']
            flags = results.get('gt_ignore_flags')
            if flags is not None:
                kpts = kpts[np.asarray(flags) == 0]  # ignored boxes go aside
            packed['data_samples'].gt_instances.keypoints = \
                torch.from_numpy(np.ascontiguousarray(kpts))
        return packed
