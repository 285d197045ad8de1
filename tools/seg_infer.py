"""Segment DICOM / PNG slices with a trained spine_seg model.

    python tools/seg_infer.py CONFIG CHECKPOINT INPUT [--out-dir out/]
    python tools/seg_infer.py CONFIG model.onnx INPUT --backend onnxruntime
INPUT is a slice or a folder of them (PNG/JPEG/TIFF, DICOM by content).
Writes <stem>.png (class indices), <stem>.npy (the same) and
<stem>_overlay.png for each slice; names never collide (x.png + x_overlay.png
-> x_png.*, x_overlay_png.*), and --out-dir may not be, lie in or hold the
input. A file of one of those names that spinemm did not write (your own
label maps, say) stops the run before any compute, naming it; --overwrite
replaces it.
"""
import argparse
import os.path as osp

import cv2
import numpy as np
from tqdm import tqdm

from spinemm.apis.inputs import images_for_tool, output_names, plan_outputs
from spinemm.apis.segment import SliceSegmenter, load_slice
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('input')
    p.add_argument('--out-dir', default='outputs/seg')
    p.add_argument('--device', default='cpu')
    p.add_argument('--backend', choices=['pytorch', 'onnxruntime'],
                   default='pytorch', help='onnxruntime: CHECKPOINT is the '
                   'model exported by tools/deployment/pytorch2onnx.py')
    p.add_argument('--overwrite', action='store_true',
                   help='replace files of the output names that spinemm '
                   'did not write')
    a = p.parse_args()
    files = images_for_tool(a.input, a.out_dir)
    suffixes = ('.png', '.npy', '_overlay.png')
    stems = output_names(files, suffixes)
    plan = plan_outputs(a.out_dir, stems, suffixes, [a.input], a.overwrite)
    seg = SliceSegmenter(a.config, a.checkpoint, a.device, a.backend)
    for path, stem in tqdm(list(zip(files, stems)), desc='segment',
                           unit='slice'):
        image = load_slice(path)
        labels = seg(image)
        out = osp.join(a.out_dir, stem)
        with plan.file(out + '.png', '.png') as tmp:
            cv2.imwrite(tmp, labels)
        with plan.file(out + '.npy', '.npy') as tmp:
            np.save(tmp, labels)
        with plan.file(out + '_overlay.png', '.png') as tmp:
            cv2.imwrite(tmp, seg.overlay(image, labels))
    print(f'{len(files)} slice(s) segmented into {a.out_dir} '
          f'(classes: {", ".join(seg.classes)})')


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
