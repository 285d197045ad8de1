"""Draw N samples of a config's dataset (after its pipeline) to PNG files:
boxes, masks and the six keypoints (anterior orange, posterior cyan).

    python tools/analysis_tools/browse_dataset.py CONFIG --out-dir browse/ -n 8
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope

from spinemm.registry import DATASETS
from spinemm.utils import atomic_file
from spinemm.visualization import draw_vertebrae


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('--out-dir', default='outputs/browse')
    p.add_argument('-n', '--num', type=int, default=8)
    p.add_argument('--split', default='train', choices=['train', 'val',
                                                        'test'])
    p.add_argument('--data-root', help='override the dataset data_root')
    a = p.parse_args()
    cfg = Config.fromfile(a.config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    ds_cfg = cfg[f'{a.split}_dataloader'].dataset
    if a.data_root:
        ds_cfg.data_root = a.data_root
    ds = DATASETS.build(ds_cfg)
    os.makedirs(a.out_dir, exist_ok=True)
    for i in range(min(a.num, len(ds))):
        sample = ds[i]
        img = sample['inputs'].permute(1, 2, 0).numpy().astype(np.uint8)
        gt = sample['data_samples'].gt_instances
        masks = gt.masks.masks if 'masks' in gt else None
        kpts = gt.keypoints.numpy() if 'keypoints' in gt else None
        out = draw_vertebrae(img, gt.bboxes.numpy(), masks, kpts)
        name = osp.splitext(osp.basename(
            sample['data_samples'].img_path))[0]
        with atomic_file(osp.join(a.out_dir, f'{i:03d}_{name}.png'),
                         '.png') as tmp:
            cv2.imwrite(tmp, out)
    print(f'{min(a.num, len(ds))} samples drawn to {a.out_dir}')


if __name__ == '__main__':
    main()
