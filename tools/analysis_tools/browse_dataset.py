"""Draw N samples of a config's dataset (after its pipeline, so with its
random augmentation) to PNG files, plus all of them tiled in ``batch.png``:
detection/pose samples with boxes, masks and the six keypoints (anterior
orange, posterior cyan); segmentation samples with their label map drawn on
the (augmented) image - Dourthe's pre-visualisation of an augmented batch.

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
from spinemm.utils import OutputPlan, refusals_as_exit
from spinemm.visualization import draw_vertebrae, seg_overlay, tile


def draw_sample(sample, palette):
    """One packed sample (mmdet or mmseg) as a BGR picture."""
    img = sample['inputs'].permute(1, 2, 0).numpy().astype(np.uint8)
    ds = sample['data_samples']
    if 'gt_sem_seg' in ds:
        labels = ds.gt_sem_seg.data[0].numpy()
        grey = img[..., img.shape[2] // 2]  # centre channel (2.5D)
        return seg_overlay(grey, np.where(labels == 255, 0, labels), palette)
    gt = ds.gt_instances
    masks = gt.masks.masks if 'masks' in gt else None
    kpts = gt.keypoints.numpy() if 'keypoints' in gt else None
    return draw_vertebrae(img, gt.bboxes.numpy(), masks, kpts)


def picture_name(i, img_path):
    name = osp.splitext(osp.basename(str(img_path).replace('#', '_')))[0]
    return f'{i:03d}_{name}.png'


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('--out-dir', default='outputs/browse')
    p.add_argument('-n', '--num', type=int, default=8)
    p.add_argument('--split', default='train', choices=['train', 'val',
                                                        'test'])
    p.add_argument('--data-root', help='override the dataset data_root')
    p.add_argument('--overwrite', action='store_true',
                   help='replace pictures that spinemm did not write')
    a = p.parse_args()
    cfg = Config.fromfile(a.config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    ds_cfg = cfg[f'{a.split}_dataloader'].dataset
    if a.data_root:
        ds_cfg.data_root = a.data_root
    ds = DATASETS.build(ds_cfg)
    n = min(a.num, len(ds))
    names = [picture_name(i, ds.get_data_info(i).get('img_path', ''))
             for i in range(n)]
    with refusals_as_exit():  # every name checked before drawing
        plan = OutputPlan(a.overwrite, [], [
            osp.join(a.out_dir, x) for x in names + ['batch.png']]).check()
    os.makedirs(a.out_dir, exist_ok=True)
    palette = ds.metainfo.get('palette') or [[0, 0, 0]] + [[220, 20, 60]] * 254
    pictures = []
    for i in range(n):
        sample = ds[i]
        out = draw_sample(sample, palette)
        pictures.append(out)
        name = picture_name(i, sample['data_samples'].img_path)
        with plan.file(osp.join(a.out_dir, name), '.png') as tmp:
            cv2.imwrite(tmp, out)
    if not pictures:
        raise SystemExit(f'error: the {a.split} dataset of {a.config} is empty')
    with plan.file(osp.join(a.out_dir, 'batch.png'), '.png') as tmp:
        cv2.imwrite(tmp, tile(pictures))
    print(f'{len(pictures)} samples drawn to {a.out_dir} (all of them in '
          f'{osp.join(a.out_dir, "batch.png")})')


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
