"""Copy a COCO film set with every film downscaled to a long side (JPEG)
and its annotations scaled to match: small enough to travel to a lent GPU
machine (64 MiB a call), with the same training meaning at that size.

    python tools/misc/device/shrink_coco_films.py IMAGES ANN_DIR OUT \
        --long-side 1024 [--quality 85]

IMAGES: the films; ANN_DIR: train.json and val.json (aasce2coco.py,
lateral2coco.py). Writes OUT/images/<stem>.jpg and
OUT/annotations/{train,val}.json (boxes, areas, polygons and keypoints
scaled; file_name, width, height updated). Films already smaller are
re-encoded, not enlarged. OUT must not exist.
"""
import argparse
import json
import os
import os.path as osp

import cv2
import numpy as np


def scale_annotation(ann, s):
    """A COCO instance scaled by ``s`` (box, area, polygons, keypoints)."""
    ann = dict(ann, bbox=[v * s for v in ann['bbox']],
               area=ann['area'] * s * s)
    if isinstance(ann.get('segmentation'), list):
        ann['segmentation'] = [[v * s for v in p]
                               for p in ann['segmentation']]
    if 'keypoints' in ann:
        k = np.array(ann['keypoints'], float).reshape(-1, 3)
        k[:, :2] *= s
        ann['keypoints'] = k.reshape(-1).round(2).tolist()
    return ann


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('images')
    p.add_argument('ann_dir')
    p.add_argument('out')
    p.add_argument('--long-side', type=int, required=True)
    p.add_argument('--quality', type=int, default=85)
    a = p.parse_args()
    if osp.exists(a.out):
        raise SystemExit(f'error: {a.out} exists')
    os.makedirs(osp.join(a.out, 'images'))
    os.makedirs(osp.join(a.out, 'annotations'))
    for name in ('train.json', 'val.json'):
        data = json.load(open(osp.join(a.ann_dir, name)))
        scale = {}
        for im in data['images']:
            s = min(1.0, a.long_side / max(im['width'], im['height']))
            scale[im['id']] = s
            img = cv2.imread(osp.join(a.images, im['file_name']),
                             cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise SystemExit(f'error: cannot read {im["file_name"]}')
            w, h = round(im['width'] * s), round(im['height'] * s)
            stem = osp.splitext(im['file_name'])[0] + '.jpg'
            cv2.imwrite(osp.join(a.out, 'images', stem),
                        cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA),
                        [cv2.IMWRITE_JPEG_QUALITY, a.quality])
            im.update(file_name=stem, width=w, height=h)
        data['annotations'] = [scale_annotation(x, scale[x['image_id']])
                               for x in data['annotations']]
        with open(osp.join(a.out, 'annotations', name), 'w') as f:
            json.dump(data, f)
    print(f'{a.out}: films at a {a.long_side} px long side')


if __name__ == '__main__':
    main()
