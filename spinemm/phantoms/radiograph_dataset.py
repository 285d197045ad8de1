"""Write a dataset of radiograph phantoms: PNG + COCO json + per-image meta.

Layout (``data/README.md`` documents it for users)::

    <out>/images/<stem>.png            8-bit grey lateral radiographs
    <out>/annotations/train.json       COCO: boxes, polygons, 6 keypoints
    <out>/annotations/val.json
    <out>/annotations/{train,val}_levels.json   the same, one category per level
    <out>/meta/<stem>.json             pixel spacing, facing, hardware, and per
                                       vertebra level, heights (mm), Genant
                                       grade and fracture type
    <out>/phantom_info.json            the generator's parameters

The whole folder is built under a temporary name and renamed at the end, and a
folder already written with the same parameters is kept as it is.
"""
import json
import os

import cv2
import numpy as np
from tqdm import tqdm

from ..anatomy import LEVELS
from ..formats import coco_categories, vertebra_annotation
from ..utils import atomic_dir, atomic_write_json
from .ct import make_ct_phantom
from .drr import make_lateral_drr
from .radiograph import make_radiograph_phantom

FORMAT_VERSION = 2  # 2: images carry `facing`; *_levels.json


def _image_meta(stem, phantom):
    return dict(
        file_name=f'{stem}.png',
        pixel_spacing=[phantom.pixel_spacing] * 2,
        facing=phantom.facing,
        hardware=phantom.hardware,
        vertebrae=[
            dict(level=v.level, genant_grade=v.genant_grade,
                 fracture_type=v.fracture_type,
                 height_loss=round(v.height_loss, 4),
                 heights_mm={k: round(h, 3) for k, h in v.heights_mm.items()},
                 keypoints=np.round(v.keypoints, 3).tolist())
            for v in phantom.vertebrae
        ])


def write_radiograph_dataset(out_dir, num_images=200, seed=0, val_fraction=0.2,
                             image_size=256, num_vertebrae=(5, 17),
                             kind='radiograph', progress=True,
                             overwrite=False):
    """Write ``num_images`` phantoms to ``out_dir``; return the info dict.

    Image ``i`` uses seed ``seed * 1_000_003 + i``, so a dataset is fully
    determined by its parameters. The last ``round(num_images * val_fraction)``
    images form the validation split.

    Args:
        kind: ``'radiograph'`` (drawn 2D phantoms, ``image_size`` square) or
            ``'drr'`` (lateral projections of CT phantoms, whose keypoints are
            the projections of the 3D ones; size follows the CT).
    """
    if kind not in ('radiograph', 'drr'):
        raise ValueError(f"kind must be 'radiograph' or 'drr', not {kind!r}")
    info = dict(format_version=FORMAT_VERSION, kind=f'{kind}2d',
                num_images=int(num_images), seed=int(seed),
                val_fraction=float(val_fraction), image_size=int(image_size),
                num_vertebrae=list(num_vertebrae))
    info_path = os.path.join(out_dir, 'phantom_info.json')
    if os.path.isfile(info_path):
        with open(info_path) as f:
            if json.load(f) == info:
                return info

    def make(i):
        s = seed * 1_000_003 + i
        if kind == 'drr':
            return make_lateral_drr(
                make_ct_phantom(s, num_vertebrae=num_vertebrae))
        return make_radiograph_phantom(s, image_size=image_size,
                                       num_vertebrae=num_vertebrae)

    num_val = int(round(num_images * val_fraction))
    splits = {'train': dict(images=[], annotations=[]),
              'val': dict(images=[], annotations=[])}
    ann_id = 1
    with atomic_dir(out_dir, f'phantom-{kind}', overwrite) as tmp:
        for sub in ('images', 'annotations', 'meta'):
            os.makedirs(os.path.join(tmp, sub))
        for i in tqdm(range(num_images), desc=f'{kind} phantoms', unit='img',
                      disable=not progress):
            phantom = make(i)
            stem = f'phantom_{i:05d}'
            cv2.imwrite(os.path.join(tmp, 'images', stem + '.png'),
                        phantom.image)
            meta = _image_meta(stem, phantom)
            atomic_write_json(os.path.join(tmp, 'meta', stem + '.json'), meta)
            split = splits['val' if i >= num_images - num_val else 'train']
            split['images'].append(
                dict(id=i + 1, file_name=meta['file_name'],
                     height=phantom.image.shape[0],
                     width=phantom.image.shape[1],
                     pixel_spacing=meta['pixel_spacing'],
                     facing=meta['facing'], hardware=meta['hardware']))
            for v in phantom.vertebrae:
                split['annotations'].append(
                    vertebra_annotation(
                        ann_id, i + 1, v.polygon, v.keypoints,
                        level=v.level, genant_grade=v.genant_grade,
                        fracture_type=v.fracture_type,
                        heights_mm={k: round(h, 3)
                                    for k, h in v.heights_mm.items()}))
                ann_id += 1
        for name, split in splits.items():
            split['categories'] = coco_categories()
            split['info'] = dict(description='spinemm radiograph phantoms',
                                 **info)
            atomic_write_json(
                os.path.join(tmp, 'annotations', f'{name}.json'), split)
            # the same with one category per level (per-level detectors)
            per_level = dict(split, categories=coco_categories(LEVELS),
                             annotations=[
                                 dict(a, category_id=LEVELS.index(a['level'])
                                      + 1) for a in split['annotations']])
            atomic_write_json(
                os.path.join(tmp, 'annotations', f'{name}_levels.json'),
                per_level)
        atomic_write_json(os.path.join(tmp, 'phantom_info.json'), info)
    return info
