"""COCO vertebra json: boxes, instance polygons and the six keypoints.

The layout is standard COCO (``images``, ``annotations``, ``categories``) with
person-keypoint style fields, so pycocotools, mmdet and mmpose read it as is.
spinemm adds optional fields that COCO readers ignore: ``level`` (C1..S1),
``genant_grade``, ``fracture_type`` and ``heights_mm`` on annotations, and
``pixel_spacing`` (mm, [row, col]) and ``facing`` (`left`/`right`: the side the
patient's anterior is on, where known) on images.
"""
import numpy as np

from ..anatomy import KEYPOINT_NAMES, SKELETON
from ..utils import read_json


def coco_categories(names=('vertebra', ), keypoint_names=KEYPOINT_NAMES,
                    skeleton=SKELETON):
    """Category list; every category carries the keypoint names and skeleton
    (the lateral scheme by default; pass the AP scheme's for AP films)."""
    return [
        dict(id=i + 1, name=name, supercategory='vertebra',
             keypoints=list(keypoint_names), skeleton=skeleton)
        for i, name in enumerate(names)
    ]


def coco_keypoints(xy, visibility=None):
    """Flat COCO triplets [x1, y1, v1, ...] and ``num_keypoints``."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    vis = np.full(len(xy), 2) if visibility is None else np.asarray(visibility)
    flat = np.concatenate([xy, vis[:, None]], 1).ravel().tolist()
    return [round(v, 3) for v in flat], int((vis > 0).sum())


def _polygon_area(poly):
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def vertebra_annotation(ann_id, image_id, polygon, keypoints, category_id=1,
                        **extra):
    """One COCO annotation from an outline polygon (K, 2) and keypoints (6, 2).

    The box is the polygon's extent, so box, mask and keypoints agree exactly.
    """
    polygon = np.asarray(polygon, float)
    x0, y0 = polygon.min(0)
    x1, y1 = polygon.max(0)
    kps, num = coco_keypoints(keypoints)
    ann = dict(
        id=int(ann_id), image_id=int(image_id), category_id=int(category_id),
        bbox=[round(float(v), 3) for v in (x0, y0, x1 - x0, y1 - y0)],
        area=round(float(_polygon_area(polygon)), 3),
        segmentation=[[round(float(v), 3) for v in polygon.ravel()]],
        keypoints=kps, num_keypoints=num, iscrowd=0)
    ann.update(extra)
    return ann


def load_coco_json(path):
    """Read a COCO json and check its top-level structure.

    Raises:
        FileNotFoundError / ValueError naming the file and what is wrong.
    """
    data = read_json(path, 'COCO annotation file')
    missing = [k for k in ('images', 'annotations', 'categories')
               if k not in data]
    if missing:
        raise ValueError(f'{path} is not a COCO annotation file: missing '
                         f'top-level key(s) {missing}')
    return data
