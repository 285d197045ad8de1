"""Vertebral morphometry report: detector (+ optional top-down model) ->
heights (mm), ratios, Genant grade per vertebra.

    python tools/report.py INPUT --det-config C --det-checkpoint P \
        [--pose-config C --pose-checkpoint P] [--spacing ROW COL]
INPUT: a PNG/JPEG, a DICOM radiograph, a DICOM series folder or a NIfTI
volume (its central sagittal slice), or a folder of images. Writes
<stem>.csv, <stem>.json and <stem>.png (height lines, grade colours) to
--out-dir.
"""
import argparse
import os
import os.path as osp

from tqdm import tqdm

from spinemm.apis import SpineReporter, write_report
from spinemm.apis.inference import is_dicom

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.dcm', '.nii', '.nii.gz')


def inputs(path):
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise SystemExit(f'error: no such file or folder: {path}')
    files = [osp.join(path, f) for f in sorted(os.listdir(path))]
    images = [f for f in files if osp.isfile(f) and f.lower().endswith(
        IMAGE_EXTS[:3] + IMAGE_EXTS[4:])]
    dicoms = [f for f in files if osp.isfile(f) and is_dicom(f)]
    # a folder of DICOM slices only is one series
    if dicoms and len(dicoms) == len([f for f in files if osp.isfile(f)]) \
            and len(dicoms) > 1:
        return [path]
    found = sorted(set(images) | set(dicoms))
    if not found:
        raise SystemExit(f'error: nothing to report on in {path}')
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('input')
    p.add_argument('--det-config', required=True)
    p.add_argument('--det-checkpoint', required=True)
    p.add_argument('--pose-config')
    p.add_argument('--pose-checkpoint')
    p.add_argument('--out-dir', default='outputs/report')
    p.add_argument('--score-thr', type=float, default=0.6)
    p.add_argument('--kpt-score-thr', type=float, default=None,
                   help='keypoints below count as missing (default 0.3 for '
                   'the detector head, 0.05 for a top-down model)')
    p.add_argument('--spacing', type=float, nargs=2, metavar=('ROW', 'COL'),
                   help='pixel spacing in mm for inputs without one (PNG)')
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    if bool(a.pose_config) != bool(a.pose_checkpoint):
        raise SystemExit('error: --pose-config and --pose-checkpoint go '
                         'together')
    items = inputs(a.input)
    rep = SpineReporter(a.det_config, a.det_checkpoint, a.pose_config,
                        a.pose_checkpoint, a.device, a.score_thr,
                        a.kpt_score_thr)
    os.makedirs(a.out_dir, exist_ok=True)
    for path in tqdm(items, desc='report'):
        report, image = rep(path, a.spacing)
        stem = osp.basename(path.rstrip('/'))
        for ext in ('.nii.gz', '.nii', '.dcm', '.png', '.jpg', '.jpeg'):
            if stem.lower().endswith(ext):
                stem = stem[:-len(ext)]
        write_report(report, image, a.out_dir, stem)
        graded = [r for r in report['vertebrae'] if r['grade']]
        tqdm.write(f'{stem}: {len(report["vertebrae"])} vertebrae, '
                   f'{len(graded)} graded >= 1, heights in {report["unit"]}'
                   + (f' ({report["spacing_source"]})'
                      if report['spacing_source'] else ''))
    print(f'reports in {a.out_dir}')


if __name__ == '__main__':
    main()
