"""Vertebral morphometry report: detector (+ optional top-down model) ->
heights (mm), ratios, Genant grade per vertebra.

    python tools/report.py INPUT --det-config C --det-checkpoint P \
        [--pose-config C --pose-checkpoint P] [--spacing ROW COL]
    python tools/report.py FILM --view ap --ap-config C --ap-checkpoint P \
        [--pose-config C --pose-checkpoint P]
    python tools/report.py FILM --view sagittal --det-config C --det-checkpoint P \
        [--pose-config C --pose-checkpoint P] \
        [--level-config C --level-checkpoint P] [--zoom-outs 1 2 2.75]
INPUT: a PNG/JPEG, a DICOM radiograph, a DICOM series folder or a NIfTI
volume (its central sagittal slice), or a folder of images. A folder whose
DICOM slices share one series is that series, whatever else lies in it
(--series-uid picks one of several); NIfTI label maps are skipped (by name)
or refused (by content). Writes <stem>.csv, <stem>.json and <stem>.png
(height lines, grade colours) to --out-dir, which may not be, lie in or hold
the input; a file of those names that spinemm did not write stops the run
before any compute, naming it (--overwrite replaces it). --view ap: per
vertebra its four corners and tilt, the three Cobb angles with their end
vertebrae (the AASCE organisers' rule), and the film with the endplate lines
of the end vertebrae and the angles written on it; with --pose-config/
--pose-checkpoint (configs/vertebra_ap/td-hm_*) a per-vertebra detector's
corners are placed again on full-resolution crops. --view sagittal (a
configs/vertebra_lateral model on a lateral film): levels counted from C2
and S1, the sagittal alignment (cervical lordosis, thoracic kyphosis, lumbar
lordosis, T1 slope, SVA), per vertebra heights, wedge angle and Genant
grade (T4-L4), and the disc heights; with --pose-config/--pose-checkpoint
(configs/vertebra_lateral/td-hm_*) the corners are placed again on
full-resolution crops of the detected boxes; with --level-config/
--level-checkpoint (configs/vertebra_lateral/level-cls_*) the levels come
from each vertebra's looks and the spacing together, also on lumbar or
cervical films that show neither C2 nor S1. The film is also detected on
zoomed out (--zoom-outs, default 1 2 2.75: put small on a black canvas) and
the pass whose column holds the most detector score is kept: the lumbar
spine of a lumbar-only film then has the size the full-spine detector
learnt it at (written to the JSON as zoom_out).
"""
import argparse

from tqdm import tqdm

from spinemm.apis import SpineReporter, write_report
from spinemm.apis.inputs import (list_report_inputs, output_names,
                                 plan_outputs, prepare_out_dir)
from spinemm.utils import refusals_as_exit


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('input')
    p.add_argument('--view', choices=['lateral', 'ap', 'sagittal'],
                   default='lateral',
                   help='lateral: vertebral heights and Genant grades '
                   '(--det-*); ap: vertebra corners and Cobb angles of an '
                   'AP film (--ap-*); sagittal: a lateral film through a '
                   'configs/vertebra_lateral model (--det-*): levels, '
                   'sagittal alignment, heights, discs')
    p.add_argument('--det-config')
    p.add_argument('--det-checkpoint')
    p.add_argument('--ap-config', help='a configs/vertebra_ap model')
    p.add_argument('--ap-checkpoint')
    p.add_argument('--pose-config')
    p.add_argument('--pose-checkpoint')
    p.add_argument('--level-config', help='--view sagittal: a level '
                   'classifier (configs/vertebra_lateral/level-cls_*)')
    p.add_argument('--level-checkpoint')
    p.add_argument('--zoom-outs', type=float, nargs='+', metavar='F',
                   default=[1.0, 2.0, 2.75],
                   help='--view sagittal: also detect on the film zoomed '
                   'out by these factors (>= 1) and keep the pass whose '
                   'column holds the most score (default 1 2 2.75; 1 for '
                   'one pass)')
    p.add_argument('--out-dir', default='outputs/report')
    p.add_argument('--score-thr', type=float, default=None,
                   help='detections below are dropped (default 0.6; 0.3 '
                   'for --view sagittal, whose levels are counted along '
                   'the column)')
    p.add_argument('--kpt-score-thr', type=float, default=None,
                   help='keypoints below count as missing (default 0.3 for '
                   'the detector head, 0.05 for a top-down model)')
    p.add_argument('--spacing', type=float, nargs=2, metavar=('ROW', 'COL'),
                   help='pixel spacing in mm for inputs without one (PNG)')
    p.add_argument('--series-uid', help='the series to read when a DICOM '
                   'folder holds several (the error lists them)')
    p.add_argument('--gaps', choices=['error', 'resample'], default='error',
                   help='a DICOM series with missing slices: stop (default) '
                   'or interpolate onto a uniform grid (the report lists '
                   'the gaps)')
    p.add_argument('--skip-bad', action='store_true',
                   help='skip unreadable files of a DICOM series (counted in '
                   'the report) instead of stopping')
    p.add_argument('--device', default='cpu')
    p.add_argument('--backend', choices=['pytorch', 'onnxruntime'],
                   default='pytorch', help='onnxruntime: every checkpoint '
                   '(--det-, --pose- or --ap-checkpoint) is a model exported '
                   'by tools/deployment/pytorch2onnx.py')
    p.add_argument('--overwrite', action='store_true',
                   help='replace files of the output names that spinemm '
                   'did not write')
    a = p.parse_args()
    for x in ('pose', 'level'):
        if bool(getattr(a, x + '_config')) != bool(
                getattr(a, x + '_checkpoint')):
            raise SystemExit(f'error: --{x}-config and --{x}-checkpoint go '
                             'together')
    if a.level_config and a.view != 'sagittal':
        raise SystemExit('error: --level-config is for --view sagittal')
    need = ('ap_config', 'ap_checkpoint') if a.view == 'ap' else (
        'det_config', 'det_checkpoint')
    missing = [n for n in need if not getattr(a, n)]
    if missing:
        raise SystemExit(f'error: --view {a.view} needs ' + ' and '.join(
            '--' + n.replace('_', '-') for n in missing))
    try:
        items, skipped = list_report_inputs(a.input, a.series_uid)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    for name in skipped:
        print(f'skipped {name}: a label map by its name, not an image')
    with refusals_as_exit():
        prepare_out_dir(a.out_dir, [a.input])
    suffixes = ('.csv', '.json', '.png')
    stems = output_names([path for path, _ in items], suffixes)
    plan_outputs(a.out_dir, stems, suffixes, [a.input], a.overwrite)
    if a.view == 'ap':
        return report_ap(a, items, stems)
    if a.view == 'sagittal':
        return report_sagittal(a, items, stems)
    rep = SpineReporter(a.det_config, a.det_checkpoint, a.pose_config,
                        a.pose_checkpoint, a.device,
                        0.6 if a.score_thr is None else a.score_thr,
                        a.kpt_score_thr, a.backend)
    for (path, uid), stem in tqdm(list(zip(items, stems)), desc='report'):
        report, image = rep(path, a.spacing, uid, a.gaps, a.skip_bad)
        write_report(report, image, a.out_dir, stem, a.overwrite)
        graded = [r for r in report['vertebrae'] if r['grade']]
        tqdm.write(f'{stem}: {len(report["vertebrae"])} vertebrae, '
                   f'{len(graded)} graded >= 1, heights in {report["unit"]}'
                   + (f' ({report["spacing_source"]})'
                      if report['spacing_source'] else ''))
    print(f'reports in {a.out_dir}')


def report_ap(a, items, stems):
    from spinemm.apis.report import load_any
    from spinemm.apis.scoliosis import (SpineLandmarker, scoliosis_report,
                                        write_scoliosis_report)
    model = SpineLandmarker(a.ap_config, a.ap_checkpoint, a.device,
                            backend=a.backend, pose_config=a.pose_config,
                            pose_checkpoint=a.pose_checkpoint)
    for (path, uid), stem in tqdm(list(zip(items, stems)), desc='report'):
        image, _, _ = load_any(path, uid, a.gaps, None, a.skip_bad)
        result = model(image)
        report = scoliosis_report(result, str(path))
        write_scoliosis_report(report, result, image, a.out_dir, stem,
                               a.overwrite)
        tqdm.write(f'{stem}: ' + ', '.join(
            f'{c["name"]} {c["degrees"]:.1f} deg ({c["upper"]}-{c["lower"]})'
            for c in report['cobb_angles']))
    print(f'reports in {a.out_dir}')


def report_sagittal(a, items, stems):
    from spinemm.apis.lateral import (LateralLandmarker, sagittal_report,
                                      write_sagittal_report)
    from spinemm.apis.report import load_any
    model = LateralLandmarker(a.det_config, a.det_checkpoint, a.device,
                              0.3 if a.score_thr is None else a.score_thr,
                              backend=a.backend, pose_config=a.pose_config,
                              pose_checkpoint=a.pose_checkpoint,
                              level_config=a.level_config,
                              level_checkpoint=a.level_checkpoint,
                              zoom_outs=a.zoom_outs)
    for (path, uid), stem in tqdm(list(zip(items, stems)), desc='report'):
        image, spacing, source = load_any(path, uid, a.gaps, None,
                                          a.skip_bad)
        if spacing is None and a.spacing:
            spacing, source = a.spacing, '--spacing'
        result = model(image, spacing[1] if spacing else None)
        report = sagittal_report(result, str(path), source)
        write_sagittal_report(report, result, image, a.out_dir, stem,
                              a.overwrite)
        al = report['alignment']

        def deg(key):
            return '-' if al[key] is None else f'{al[key]:.1f} deg'
        tqdm.write(f'{stem}: {len(report["vertebrae"])} levels (anchor '
                   f'{report["anchor"]}'
                   + (f'; {report["levels_note"]}' if report['levels_note']
                      else '')
                   + (f'; zoomed out {report["zoom_out"]:g}x'
                      if report['zoom_out'] != 1 else '')
                   + f'), lumbar lordosis L1-S1 '
                   f'{deg("lumbar_lordosis_L1_S1")}, thoracic kyphosis '
                   f'T4-T12 {deg("thoracic_kyphosis_T4_T12")}, cervical '
                   f'lordosis C2-C7 {deg("cervical_lordosis_C2_C7")}')
    print(f'reports in {a.out_dir}')


if __name__ == '__main__':
    with refusals_as_exit():  # InputError, refused outputs: no traceback
        main()
