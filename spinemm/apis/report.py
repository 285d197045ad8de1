"""Radiograph / DICOM / sagittal slice -> vertebrae -> morphometry -> report.

``make_report`` turns vertebrae with keypoints into per-vertebra rows
(level, Ha/Hm/Hp, ratios, height loss, Genant grade and type, scores) and an
annotated picture; ``SpineReporter`` runs the detector (and optionally a
top-down keypoint model on its boxes) first. Heights are in mm when the
input carries a pixel spacing (DICOM PixelSpacing or ImagerPixelSpacing, a
volume's voxel size) and in pixels otherwise; the report says which.
"""
import csv
import os.path as osp

import cv2
import numpy as np

from ..anatomy import KEYPOINT_NAMES, normalize_level
from ..io import read_dicom_series, read_nifti, reorient, spinetk_normalize
from ..morphometry import assess_column
from ..utils import atomic_file, atomic_write_json
from .inference import is_dicom, load_image

GRADE_COLOURS = {0: (80, 200, 80), 1: (0, 220, 255), 2: (0, 140, 255),
                 3: (40, 40, 230), None: (160, 160, 160)}  # BGR
CSV_COLUMNS = ('index', 'level', 'ha', 'hm', 'hp', 'unit', 'wedge_ratio',
               'biconcave_ratio', 'crush_ratio', 'height_loss', 'grade',
               'fracture_type', 'box_score', 'min_keypoint_score',
               'missing_keypoints')


def _refuse_label_map(vol, path):
    """A NIfTI of few non-negative integer values is a label map, not a CT or
    MR: reporting on it would grade its label outlines."""
    data = np.asarray(vol.data)
    if np.issubdtype(data.dtype, np.floating) and not np.array_equal(
            data, np.round(data)):
        return
    values = np.unique(data[::4, ::4, ::4])
    if values.min() >= 0 and len(values) <= 64:
        raise ValueError(
            f'{path} looks like a label map ({len(values)} integer values, '
            f'{values[:8].tolist()}...), not an image: pass the CT or MR '
            'volume instead')


def load_any(path, series_uid=None, gaps='error', info=None,
             skip_bad=False):
    """(uint8 BGR image, spacing (row, col) or None, spacing source) from a
    PNG/JPEG, a DICOM radiograph, a DICOM series folder (``series_uid``
    picks a series where it holds several) or a NIfTI volume (label maps are
    refused); for volumes, the central sagittal slice in the standard
    lateral display (head up, anterior on the left), SpineTK-normalised.
    ``gaps`` and ``skip_bad`` go to :func:`spinemm.io.read_dicom_series`;
    a dict ``info`` receives ``series`` (uid, gaps, skipped files) for a DICOM series."""
    if osp.isdir(path) or str(path).endswith(('.nii', '.nii.gz')):
        if osp.isdir(path):
            vol = read_dicom_series(path, series_uid=series_uid, gaps=gaps,
                                    skip_bad=skip_bad)
            if info is not None:
                info['series'] = dict(
                    uid=vol.meta['series_uid'], slices=len(vol.meta['files']),
                    gaps=vol.meta['gaps'],
                    skipped=[p for p, _ in vol.meta['skipped']])
        else:
            vol = read_nifti(path)
            _refuse_label_map(vol, path)
        vol = reorient(vol, ('I', 'P', 'R'))
        img = spinetk_normalize(vol.data[:, :, vol.data.shape[2] // 2])
        sp = vol.spacing
        return (cv2.cvtColor(img, cv2.COLOR_GRAY2BGR), (sp[0], sp[1]),
                'volume voxel size (central sagittal slice)')
    return load_image(path)


def make_report(image, vertebrae, spacing=None, spacing_source=None,
                kpt_score_thr=0.3):
    """Morphometry of detected vertebrae.

    Args:
        vertebrae: dicts with ``keypoints`` ((6, 2) or {name: [x, y]}),
            optional ``keypoint_scores``, ``score``, ``label``, ``bbox``.
    Returns:
        dict(unit, spacing, spacing_source, vertebrae=[row dicts]) with rows
        ordered head to foot.
    """
    kpts = np.array([[v['keypoints'][n] for n in KEYPOINT_NAMES]
                     if isinstance(v['keypoints'], dict) else v['keypoints']
                     for v in vertebrae], float).reshape(-1, 6, 2)
    scores = None
    if vertebrae and all('keypoint_scores' in v for v in vertebrae):
        scores = np.array([v['keypoint_scores'] for v in vertebrae], float)
    labels = [v.get('label') for v in vertebrae]
    # class names of a per-level detector (aliases such as Th12 included);
    # a plain 'vertebra' detector gives no levels
    levels = labels if labels and all(
        normalize_level(lb) is not None for lb in labels) else None
    unit = 'mm' if spacing is not None else 'px'
    rows = []
    if len(kpts):
        for m in assess_column(kpts, spacing if spacing is not None else 1.0,
                               scores, kpt_score_thr, levels):
            v = vertebrae[m.index]
            rows.append(dict(
                index=m.index, level=m.level, ha=_r(m.ha), hm=_r(m.hm),
                hp=_r(m.hp), unit=unit, wedge_ratio=_r(m.wedge_ratio),
                biconcave_ratio=_r(m.biconcave_ratio),
                crush_ratio=_r(m.crush_ratio),
                height_loss=_r(m.height_loss), grade=m.grade,
                fracture_type=m.fracture_type, box_score=v.get('score'),
                min_keypoint_score=None if scores is None
                else _r(scores[m.index].min()),
                missing_keypoints=m.missing,
                keypoints=kpts[m.index].round(2).tolist(),
                bbox=v.get('bbox')))
    note = None if spacing is not None else \
        'no pixel spacing in the input: heights are in pixels'
    return dict(unit=unit, spacing=None if spacing is None else
                [float(s) for s in spacing], spacing_source=spacing_source,
                note=note, height=int(image.shape[0]),
                width=int(image.shape[1]), vertebrae=rows)


def _r(x, nd=4):
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def draw_report(image, report):
    """Keypoints, the three height lines and a grade colour per vertebra."""
    img = image.copy() if image.ndim == 3 else cv2.cvtColor(
        image, cv2.COLOR_GRAY2BGR)
    scale = max(1, int(np.ceil(512 / max(img.shape[:2]))))
    img = cv2.resize(img, None, fx=scale, fy=scale,
                     interpolation=cv2.INTER_NEAREST)
    for row in report['vertebrae']:
        k = np.array(row['keypoints']) * scale
        colour = GRADE_COLOURS[row['grade']]
        outline = np.round(k).astype(np.int32)
        cv2.polylines(img, [outline], True, colour, 1, cv2.LINE_AA)
        for top, bottom in ((5, 0), (4, 1), (3, 2)):  # Ha, Hm, Hp
            cv2.line(img, tuple(np.round(k[top]).astype(int)),
                     tuple(np.round(k[bottom]).astype(int)), colour, 1,
                     cv2.LINE_AA)
        for p in k:
            cv2.circle(img, tuple(np.round(p).astype(int)), 2, colour, -1)
        text = ' '.join(t for t in (
            row['level'] or f'#{row["index"] + 1}',
            f'G{row["grade"]}' if row['grade'] is not None else 'G?',
            row['fracture_type'] or '',
            f'{100 * row["height_loss"]:.0f}%' if row['height_loss']
            is not None else '') if t)
        x = int(k[:, 0].max()) + 4
        y = int(k[:, 1].mean()) + 3
        cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                    colour, 1, cv2.LINE_AA)
    return img


def write_report(report, image, out_dir, stem, overwrite=False):
    """``<stem>.csv``, ``<stem>.json`` and ``<stem>.png`` (atomically)."""
    with atomic_file(osp.join(out_dir, stem + '.csv'), '.csv',
                     overwrite=overwrite) as tmp:
        with open(tmp, 'w', newline='') as f:
            w = csv.DictWriter(f, CSV_COLUMNS, extrasaction='ignore')
            w.writeheader()
            for row in report['vertebrae']:
                w.writerow(dict(row, missing_keypoints=' '.join(
                    row['missing_keypoints'])))
    atomic_write_json(osp.join(out_dir, stem + '.json'), report, indent=1,
                      overwrite=overwrite)
    with atomic_file(osp.join(out_dir, stem + '.png'), '.png',
                     overwrite=overwrite) as tmp:
        cv2.imwrite(tmp, draw_report(image, report))


class SpineReporter:
    """Detector (+ optional top-down keypoint model) + morphometry."""

    #: default keypoint score thresholds: the detector head's score is a
    #: probability mass in [0, 1]; an mmpose heatmap's is its peak value,
    #: lower for the same confidence (about 0.15-0.4 on the phantoms)
    KPT_SCORE_THR = dict(detector=0.3, pose=0.05)

    def __init__(self, det_config, det_checkpoint, pose_config=None,
                 pose_checkpoint=None, device='cpu', score_thr=0.6,
                 kpt_score_thr=None, backend='pytorch'):
        from .inference import VertebraDetector
        # ``backend`` is every model's: with 'onnxruntime' each checkpoint
        # is an exported .onnx file
        self.detector = VertebraDetector(det_config, det_checkpoint, device,
                                         score_thr, backend)
        if not pose_config and self.detector.keypoint_names != tuple(
                KEYPOINT_NAMES):
            raise ValueError(
                f'{det_config} predicts {self.detector.keypoint_names}, not '
                f'the lateral scheme {tuple(KEYPOINT_NAMES)} that morphometry '
                'needs; an AP model goes through tools/report.py --view ap')
        self.pose = None
        if pose_config:
            from mmpose.apis import init_model

            from .onnx_backend import init_model_backend
            self.pose = init_model_backend(init_model, pose_config,
                                           pose_checkpoint, device, backend)
        self.kpt_score_thr = kpt_score_thr if kpt_score_thr is not None \
            else self.KPT_SCORE_THR['pose' if pose_config else 'detector']

    def __call__(self, path, spacing=None, series_uid=None, gaps='error',
                 skip_bad=False):
        """Report on ``path``; ``spacing`` (row, col mm) overrides the file's
        (for PNGs whose spacing is known from elsewhere); ``series_uid``
        picks a series of a DICOM folder."""
        info = {}
        image, file_spacing, source = load_any(path, series_uid, gaps, info,
                                               skip_bad)
        if spacing is not None:
            source = 'given by the caller'
        else:
            spacing = file_spacing
        det = self.detector(image)
        vertebrae = det['vertebrae']
        if self.pose is not None and vertebrae:
            from mmpose.apis import inference_topdown
            boxes = np.array([v['bbox'] for v in vertebrae])
            for v, s in zip(vertebrae, inference_topdown(self.pose, image,
                                                         boxes)):
                v['keypoints'] = s.pred_instances.keypoints[0].tolist()
                v['keypoint_scores'] = \
                    s.pred_instances.keypoint_scores[0].tolist()
        report = make_report(image, vertebrae, spacing, source,
                             self.kpt_score_thr)
        report.update(file=str(path), keypoints_from='top-down model'
                      if self.pose is not None else 'detector', **info)
        return report, image


__all__ = ['SpineReporter', 'make_report', 'draw_report', 'write_report',
           'load_any', 'is_dicom']
