"""Detect vertebrae (boxes, masks, 6 keypoints) in radiographs.

    python tools/infer.py CONFIG CHECKPOINT INPUT [--out-dir out/] [--score-thr 0.6]
INPUT is a PNG/JPEG, a DICOM radiograph, or a folder of them. For each image
the output folder gets <stem>.json (boxes, masks as RLE, keypoints by name,
scores, pixel spacing and where it came from) and <stem>.png (an overlay).
"""
import argparse
import os
import os.path as osp

import cv2
from tqdm import tqdm

from spinemm.apis import VertebraDetector, draw_result
from spinemm.apis.inference import is_dicom, load_image
from spinemm.utils import atomic_file, atomic_write_json

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.dcm')


def list_inputs(path):
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise SystemExit(f'error: no such file or folder: {path}')
    files = sorted(osp.join(path, f) for f in os.listdir(path)
                   if osp.isfile(osp.join(path, f)) and
                   (f.lower().endswith(IMAGE_EXTS) or
                    is_dicom(osp.join(path, f))))
    if not files:
        raise SystemExit(f'error: no image or DICOM file in {path}')
    return files


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('input', help='image, DICOM file or folder')
    p.add_argument('--out-dir', default='outputs/infer')
    p.add_argument('--score-thr', type=float, default=0.6,
                   help='SpineTK advises 0.6 (drops small spurious boxes)')
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    files = list_inputs(a.input)
    det = VertebraDetector(a.config, a.checkpoint, a.device, a.score_thr)
    os.makedirs(a.out_dir, exist_ok=True)
    for path in tqdm(files, desc='infer', unit='img'):
        image, _, _ = load_image(path)
        result = det(path)
        stem = osp.splitext(osp.basename(path))[0]
        atomic_write_json(osp.join(a.out_dir, stem + '.json'), result,
                          indent=1)
        with atomic_file(osp.join(a.out_dir, stem + '.png'), '.png') as tmp:
            cv2.imwrite(tmp, draw_result(image, result))
        tqdm.write(f'{stem}: {len(result["vertebrae"])} vertebrae')
    print(f'results in {a.out_dir}')


if __name__ == '__main__':
    main()
