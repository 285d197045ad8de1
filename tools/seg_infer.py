"""Segment DICOM / PNG slices with a trained spine_seg model.

    python tools/seg_infer.py CONFIG CHECKPOINT INPUT [--out-dir out/]
INPUT is a slice or a folder of them. Writes <stem>.png (class indices),
<stem>.npy (the same) and <stem>_overlay.png for each slice.
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from tqdm import tqdm

from spinemm.apis.segment import SliceSegmenter, load_slice
from spinemm.utils import atomic_file

EXTS = ('.dcm', '.png', '.jpg', '.jpeg', '.tif', '.tiff')


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('input')
    p.add_argument('--out-dir', default='outputs/seg')
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    if osp.isdir(a.input):
        files = sorted(osp.join(a.input, f) for f in os.listdir(a.input)
                       if f.lower().endswith(EXTS))
    elif osp.isfile(a.input):
        files = [a.input]
    else:
        raise SystemExit(f'error: no such file or folder: {a.input}')
    if not files:
        raise SystemExit(f'error: no slice ({", ".join(EXTS)}) in {a.input}')
    seg = SliceSegmenter(a.config, a.checkpoint, a.device)
    os.makedirs(a.out_dir, exist_ok=True)
    for path in tqdm(files, desc='segment', unit='slice'):
        image = load_slice(path)
        labels = seg(image)
        stem = osp.splitext(osp.basename(path))[0]
        out = osp.join(a.out_dir, stem)
        with atomic_file(out + '.png', '.png') as tmp:
            cv2.imwrite(tmp, labels)
        with atomic_file(out + '.npy', '.npy') as tmp:
            np.save(tmp, labels)
        with atomic_file(out + '_overlay.png', '.png') as tmp:
            cv2.imwrite(tmp, seg.overlay(image, labels))
    print(f'{len(files)} slice(s) segmented into {a.out_dir} '
          f'(classes: {", ".join(seg.classes)})')


if __name__ == '__main__':
    main()
