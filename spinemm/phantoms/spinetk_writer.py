"""Write radiograph phantoms in the SpineTK layout (src + augs + metadata).

Augmented copies are made as SpineTK makes them, minus imgaug: a horizontal
flip half of the time (points move, names stay: the anterior corner is still
``*_left``), then SpineTK's photometric recipe. Cases with hardware get
``hardware_factor`` times as many copies, as SpineTK gave them 30 against 10.
"""
import os
import os.path as osp

import cv2
import numpy as np
from tqdm import tqdm

from ..augment import spinetk_photometric
from ..utils import atomic_dir, atomic_write_json
from .radiograph import make_radiograph_phantom

CORNER_ROWS = (0, 2, 3, 5)


def _image_json(file_name, img, keypoints, image_id, corners_only):
    anns = []
    for k in keypoints:
        pts = k[list(CORNER_ROWS)] if corners_only else k
        flat = np.concatenate([pts, np.full((len(pts), 1), 2.0)], 1)
        anns.append(dict(bbox=[float(v) for v in (*k.min(0), *k.max(0))],
                         bbox_mode=0, category_id=0,
                         keypoints=[round(float(v), 3) for v in flat.ravel()]))
    return dict(file_name=file_name, height=int(img.shape[0]),
                width=int(img.shape[1]), image_id=image_id, annotations=anns)


def write_spinetk_phantoms(root, num_cases=6, num_augs=2, hardware_factor=3,
                           corners_only=False, image_size=192, seed=0,
                           hardware_prob=0.4, progress=True,
                           overwrite=False):
    """Write ``num_cases`` cases; returns {case: phantom} for tests."""
    rng = np.random.default_rng(seed)
    phantoms, meta = {}, {}
    with atomic_dir(root, 'phantom-spinetk', overwrite) as tmp:
        for i in tqdm(range(num_cases), desc='SpineTK phantoms',
                      disable=not progress):
            case = str(100 + i)
            ph = make_radiograph_phantom(seed * 1_000_003 + i,
                                         image_size=image_size,
                                         hardware_prob=hardware_prob)
            phantoms[case] = ph
            meta[case] = dict(hardware=ph.hardware)
            kps = np.stack([v.keypoints for v in ph.vertebrae])
            src = osp.join(tmp, case, 'src', '0')
            os.makedirs(src)
            cv2.imwrite(osp.join(src, 'src-0.png'), ph.image)
            atomic_write_json(osp.join(src, 'src-0.json'), _image_json(
                f'{case}/src/0/src-0.png', ph.image, kps, f'{case}-src-0',
                corners_only))
            n_aug = num_augs * (hardware_factor if ph.hardware else 1)
            for k in range(1, n_aug + 1):
                img, pts = ph.image, kps.copy()
                if rng.random() < 0.5:
                    img = img[:, ::-1].copy()
                    pts[..., 0] = img.shape[1] - pts[..., 0]
                img, _ = spinetk_photometric(img, rng)
                folder = osp.join(tmp, case, 'augs', str(k))
                os.makedirs(folder)
                cv2.imwrite(osp.join(folder, f'aug-{k}.png'), img)
                atomic_write_json(osp.join(folder, f'aug-{k}.json'),
                                  _image_json(f'{case}/augs/{k}/aug-{k}.png',
                                              img, pts, f'{case}-aug-{k}',
                                              corners_only))
        atomic_write_json(osp.join(tmp, 'metadata.json'), meta)
    return phantoms
