"""SpineTK layout: per-case folders of PNG + per-image JSON, and metadata.json.

Published layout (github.com/abhisuri97/SpineTK, README)::

    baseline-directory/
      <case>/src/0/src-0.png, src-0.json        the source image
      <case>/augs/<k>/aug-<k>.png, aug-<k>.json  augmented copies (k = 1..)
      metadata.json                               {case: {"hardware": bool, ...}}

Per-image JSON: ``file_name``, ``height``, ``width``, ``image_id`` (a string
such as ``<case>-aug-3``) and ``annotations``: per vertebra ``bbox`` (XYXY_ABS,
``bbox_mode`` 0), ``category_id`` and flat ``keypoints`` triplets, either six
points (``bottom_left, bottom_middle, bottom_right, top_right, top_middle,
top_left``) or the four corners the SpineTK README also shows (bottom_left,
bottom_right, top_right, top_left), whose middle points are derived here as
the mid-points of each endplate's corners and listed in the COCO annotation's
``derived_keypoints`` (indices).

Integer COCO ids are ``(case rank + 1) * 10000 + k`` (k = 0 for the source
image); :func:`decode_image_id` gives the SpineTK string back.
"""
import os
import os.path as osp

import numpy as np

from ..anatomy import KEYPOINT_NAMES
from ..utils import (atomic_dir, atomic_write_json, check_no_overlap,
                     check_replaceable, read_json)
from .coco_vertebra import coco_categories

MAX_AUGS = 10000
#: positions of the four corners among the six keypoints, and the derived
#: middles as (index, corner a, corner b)
CORNERS = (0, 2, 3, 5)
DERIVED = ((1, 0, 2), (4, 3, 5))


def six_keypoints(flat, where):
    """SpineTK flat keypoints (18 or 12 values) -> ((6, 3), derived idx)."""
    k = np.asarray(flat, float)
    if k.size == 18:
        return k.reshape(6, 3), []
    if k.size == 12:
        corners = k.reshape(4, 3)
        out = np.zeros((6, 3))
        out[list(CORNERS)] = corners
        for i, a, b in DERIVED:
            out[i, :2] = (out[a, :2] + out[b, :2]) / 2
            out[i, 2] = min(out[a, 2], out[b, 2])
        return out, [i for i, _, _ in DERIVED]
    raise ValueError(f'{where}: a vertebra has {k.size} keypoint values; '
                     'SpineTK uses 18 (six points) or 12 (four corners)')


def _read_image_json(path):
    d = read_json(path, 'SpineTK image JSON')
    missing = [k for k in ('height', 'width', 'annotations') if k not in d]
    if missing:
        raise ValueError(f'{path}: missing key(s) {missing}')
    for i, a in enumerate(d['annotations']):
        if 'keypoints' not in a or 'bbox' not in a:
            raise ValueError(f'{path}: annotation {i} lacks bbox/keypoints')
        if a.get('bbox_mode', 0) != 0:
            raise ValueError(f'{path}: annotation {i} has bbox_mode '
                             f'{a["bbox_mode"]}; only 0 (XYXY_ABS) is used '
                             'by SpineTK')
    return d


def read_spinetk(root):
    """Index a SpineTK folder.

    Returns:
        (metadata dict, list of dict(case, kind 'src'|'aug', k, png, json))
        sorted by case then k.
    """
    meta = read_json(osp.join(root, 'metadata.json'), 'SpineTK metadata.json')
    if not isinstance(meta, dict):
        raise ValueError(f'{root}/metadata.json must map case ids to dicts')
    images = []
    for case in sorted(meta):
        src = osp.join(root, case, 'src', '0', 'src-0')
        if not osp.isfile(src + '.json'):
            raise FileNotFoundError(f'{src}.json not found (case {case} is '
                                    'in metadata.json)')
        images.append(dict(case=case, kind='src', k=0, png=src + '.png',
                           json=src + '.json'))
        aug_dir = osp.join(root, case, 'augs')
        ks = sorted(int(d) for d in os.listdir(aug_dir) if d.isdigit()) \
            if osp.isdir(aug_dir) else []
        for k in ks:
            base = osp.join(aug_dir, str(k), f'aug-{k}')
            images.append(dict(case=case, kind='aug', k=k, png=base + '.png',
                               json=base + '.json'))
    for im in images:  # a json without its picture would train on nothing
        for key in ('png', 'json'):
            if not osp.isfile(im[key]):
                raise FileNotFoundError(
                    f'{im[key]} not found (case {im["case"]}, '
                    f'{im["kind"]} {im["k"]}): every image of a SpineTK '
                    'folder needs its .png and its .json')
    return meta, images


def encode_image_id(case_rank, k):
    if not 0 <= k < MAX_AUGS:
        raise ValueError(f'augmentation index {k} out of range')
    return (case_rank + 1) * MAX_AUGS + k


def decode_image_id(image_id, cases):
    """Integer COCO id -> SpineTK string id (``cases`` sorted as written)."""
    case = cases[image_id // MAX_AUGS - 1]
    k = image_id % MAX_AUGS
    return f'{case}-src-0' if k == 0 else f'{case}-aug-{k}'


def split_cases(meta, strat_var='hardware', test_size=0.2, val_size=10 / 70,
                seed=100):
    """Train/val/test case lists as SpineTK splits them (test 20%, then val
    10/70 of the rest), stratified by ``strat_var`` where every stratum is
    large enough, seeded. A case is in exactly one split."""
    from sklearn.model_selection import train_test_split
    cases = sorted(meta)
    y = None
    if strat_var is not None:
        missing = [c for c in cases if strat_var not in meta[c]]
        if missing:
            raise ValueError(f'metadata.json: cases {missing[:5]} lack the '
                             f'stratifying variable {strat_var!r}')
        y = [bool(meta[c][strat_var]) for c in cases]

    def split(items, labels, size):
        if labels is None:  # no stratification (--strat-var none)
            a, b = train_test_split(items, test_size=size, random_state=seed,
                                    shuffle=True)
            return a, b, None
        strat = labels if min(labels.count(True),
                              labels.count(False)) >= 2 else None
        a, b, y_a, _ = train_test_split(items, labels, test_size=size,
                                        stratify=strat, random_state=seed,
                                        shuffle=True)
        return a, b, list(y_a)

    rest, test, y_rest = split(cases, y, test_size)
    train, val, _ = split(rest, y_rest, val_size)
    return dict(train=sorted(train), val=sorted(val), test=sorted(test))


def spinetk_to_coco(root, out, strat_var='hardware', seed=100,
                    overwrite=False):
    """Write ``out/{train,val,test}.json`` (COCO vertebra) from a SpineTK
    folder: train holds source and augmented images of its cases, val and
    test only source images. File names are relative to ``root``; images
    carry their metadata variables and ``spinetk_id``. Returns the split."""
    check_no_overlap(out, [root], allow_inside=True)
    check_replaceable(out, 'spinetk2coco', overwrite)
    meta, images = read_spinetk(root)
    cases = sorted(meta)
    rank = {c: i for i, c in enumerate(cases)}
    splits = split_cases(meta, strat_var, seed=seed)
    case_split = {c: s for s, cs in splits.items() for c in cs}
    cocos = {s: dict(images=[], annotations=[],
                     categories=coco_categories(),
                     info=dict(description='SpineTK converted by spinemm',
                               cases=cases, keypoint_names=KEYPOINT_NAMES))
             for s in splits}
    ann_id = 0
    for im in images:
        split = case_split[im['case']]
        if im['kind'] == 'aug' and split != 'train':
            continue
        d = _read_image_json(im['json'])
        img_id = encode_image_id(rank[im['case']], im['k'])
        coco = cocos[split]
        coco['images'].append(dict(
            id=img_id, file_name=osp.relpath(im['png'], root),
            height=int(d['height']), width=int(d['width']),
            spinetk_id=d.get('image_id', decode_image_id(img_id, cases)),
            **{k: v for k, v in meta[im['case']].items()
               if isinstance(v, (bool, int, float, str))}))
        for a in d['annotations']:
            kpts, derived = six_keypoints(a['keypoints'], im['json'])
            x1, y1, x2, y2 = (float(v) for v in a['bbox'])
            ann_id += 1
            ann = dict(id=ann_id, image_id=img_id, category_id=1,
                       bbox=[x1, y1, x2 - x1, y2 - y1],
                       area=(x2 - x1) * (y2 - y1), iscrowd=0,
                       keypoints=kpts.round(3).ravel().tolist(),
                       num_keypoints=int((kpts[:, 2] > 0).sum()),
                       # SpineTK has no masks: the six points outline the
                       # vertebral body, so they are its polygon
                       segmentation=[kpts[:, :2].round(3).ravel().tolist()])
            if derived:
                ann['derived_keypoints'] = derived
            coco['annotations'].append(ann)
    with atomic_dir(out, 'spinetk2coco', overwrite, inputs=[root],
                    allow_inside=True) as tmp:
        for s, coco in cocos.items():
            atomic_write_json(osp.join(tmp, f'{s}.json'), coco)
    return splits
