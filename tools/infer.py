"""Detect vertebrae (boxes, masks, 6 keypoints) in radiographs.

    python tools/infer.py CONFIG CHECKPOINT INPUT [--out-dir out/] [--score-thr 0.6]
        [--backend onnxruntime]   # CHECKPOINT: the .onnx of tools/deployment/pytorch2onnx.py
INPUT is a PNG/JPEG, a DICOM radiograph, or a folder of them. For each image
the output folder gets <stem>.json (boxes, masks as RLE, keypoints by name,
scores, pixel spacing and where it came from) and <stem>.png (an overlay).
Names never collide (a.png + a.dcm -> a_png.*, a_dcm.*; UID-named DICOMs keep
their whole name) and --out-dir may not be, lie in or hold the input. A file
of one of those names that spinemm did not write stops the run before any
compute, naming it; --overwrite replaces it.
"""
import argparse
import os.path as osp

import cv2
from tqdm import tqdm

from spinemm.apis import VertebraDetector, draw_result
from spinemm.apis.inference import load_image
from spinemm.apis.inputs import images_for_tool, output_names, plan_outputs
from spinemm.apis.onnx_backend import BACKENDS
from spinemm.utils import refusals_as_exit

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
    p.add_argument('--backend', choices=BACKENDS, default='pytorch',
                   help='onnxruntime: CHECKPOINT is an exported .onnx file')
    p.add_argument('--overwrite', action='store_true',
                   help='replace files of the output names that spinemm '
                   'did not write')
    a = p.parse_args()
    files = images_for_tool(a.input, a.out_dir)
    suffixes = ('.json', '.png')
    stems = output_names(files, suffixes)
    plan = plan_outputs(a.out_dir, stems, suffixes, [a.input], a.overwrite)
    det = VertebraDetector(a.config, a.checkpoint, a.device, a.score_thr,
                           backend=a.backend)
    for path, stem in tqdm(list(zip(files, stems)), desc='infer',
                           unit='img'):
        image, spacing, source = load_image(path)  # read once
        result = det(image, path, spacing, source)
        plan.write_json(osp.join(a.out_dir, stem + '.json'), result,
                        indent=1)
        with plan.file(osp.join(a.out_dir, stem + '.png'), '.png') as tmp:
            cv2.imwrite(tmp, draw_result(image, result))
        tqdm.write(f'{stem}: {len(result["vertebrae"])} vertebrae')
    print(f'results in {a.out_dir}')


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
