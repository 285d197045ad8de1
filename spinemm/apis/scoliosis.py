"""AP film -> 68 vertebra corners -> Cobb angles, and a picture of them.

    from spinemm.apis.scoliosis import SpineLandmarker
    model = SpineLandmarker('configs/vertebra_ap/...py', 'best.pth')
    result = model('film.jpg')   # corners (17, 4, 2), angles, end vertebrae
"""
import cv2
import numpy as np

from ..anatomy import AASCE_LEVELS, AP_KEYPOINT_NAMES
from ..morphometry.cobb import ANGLE_NAMES, cobb_angles


def _is_pose_config(config):
    from mmengine.config import Config
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    return cfg.get('default_scope') == 'mmpose'


class SpineLandmarker:
    """A trained AP landmark model (``configs/vertebra_ap``), either kind:

    - whole-spine top-down (an mmpose config): the film is one sample whose
      box is the whole film, all 68 corners at once;
    - per-vertebra detector with the RoI keypoint head (an mmdet config):
      every vertebra found with its 4 corners, then
      :func:`spinemm.morphometry.column.assemble_column` orders them head to
      foot into the 17 levels and fills in the ones not found (``detected``
      says which); with ``pose_config`` / ``pose_checkpoint``
      (``configs/vertebra_ap/td-hm_*``) a second stage places the corners
      of every detected box again on a crop cut from the film at its own
      resolution (:class:`spinemm.apis.second_stage.CornerRefiner`); the
      boxes, the column order and the corner scores stay the detector's.
    """

    def __init__(self, config, checkpoint, device='cpu', score_thr=0.3,
                 backend='pytorch', flip_test=False, pose_config=None,
                 pose_checkpoint=None):
        self.is_pose = _is_pose_config(config)
        # per-vertebra detector: also detect on the mirrored film and merge
        # (spinemm.morphometry.column.merge_flipped)
        self.flip_test = flip_test
        if self.is_pose:
            from mmpose.apis import init_model

            from .onnx_backend import init_model_backend
            self.model = init_model_backend(init_model, config, checkpoint,
                                            device, backend)
        else:
            from .inference import VertebraDetector
            # backend='onnxruntime': the .onnx of pytorch2onnx.py (the
            # detector's network parts, spinemm.apis.onnx_detector)
            self.detector = VertebraDetector(config, checkpoint, device,
                                             score_thr, backend=backend)
            names = self.detector.keypoint_names
            if names != tuple(AP_KEYPOINT_NAMES):
                raise ValueError(
                    f'{config} predicts keypoints {names}, not the AP '
                    f'scheme {tuple(AP_KEYPOINT_NAMES)}')
        self.refiner = None
        if pose_config:
            if self.is_pose:
                raise ValueError(
                    f'{config} is a whole-spine model: a second stage '
                    '(--pose-config) refines a per-vertebra detector\'s boxes')
            from .second_stage import CornerRefiner
            self.refiner = CornerRefiner(pose_config, pose_checkpoint,
                                         AP_KEYPOINT_NAMES, device, backend)

    def __call__(self, image):
        """``image``: a path or a BGR/grey array. Returns dict(corners=(17,
        4, 2) px, scores=(17, 4), detected=(17,), **cobb_angles(...))."""
        if isinstance(image, str):
            from .inference import load_image
            image = load_image(image)[0]  # checked: whole, depth, size
        img = image
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        h, w = img.shape[:2]
        if self.is_pose:
            corners, scores, detected = self._topdown(img)
        else:
            corners, scores, detected = self._detect(img)
        try:
            result = cobb_angles(corners, h)
        except ValueError:  # no column found: NaN corners, no angles
            result = dict(angles=np.full(3, np.nan),
                          end_vertebrae=[(None, None)] * 3,
                          tilts=np.full(len(AASCE_LEVELS), np.nan),
                          s_shaped=False)
        return dict(result, corners=corners, scores=scores,
                    detected=detected, height=h, width=w)

    def _topdown(self, img):
        from mmpose.apis import inference_topdown
        h, w = img.shape[:2]
        # the box the dataset gives a film (mmpose clips to w - 1, h - 1),
        # so that this path and tools/test.py see the same crop
        sample = inference_topdown(self.model, img,
                                   np.array([[0, 0, w - 1, h - 1]], float))[0]
        kpts = np.asarray(sample.pred_instances.keypoints)[0]
        scores = np.asarray(sample.pred_instances.keypoint_scores)[0]
        n = len(AASCE_LEVELS)
        return (kpts.reshape(n, 4, 2), scores.reshape(n, 4),
                np.ones(n, bool))

    def _found(self, img):
        found = self.detector(img)['vertebrae']
        corners = np.array([[v['keypoints'][k] for k in AP_KEYPOINT_NAMES]
                            for v in found], float).reshape(-1, 4, 2)
        kpt_scores = np.array([v['keypoint_scores'] for v in found],
                              float).reshape(-1, 4)
        det_scores = np.array([v['score'] for v in found], float)
        if self.refiner is not None and len(found):
            corners = self.refiner(img, [v['bbox'] for v in found])[0]
        return found, corners, kpt_scores, det_scores

    def _detect(self, img):
        from ..morphometry.column import assemble_column, merge_flipped
        found, corners, kpt_scores, det_scores = self._found(img)
        if self.flip_test:
            from ..anatomy import flip_ap_keypoints
            _, cf, kf, sf = self._found(np.ascontiguousarray(img[:, ::-1]))
            cf = flip_ap_keypoints(cf, img.shape[1])
            kf = kf[:, [1, 0, 3, 2]]  # the names swapped with the corners
            corners, det_scores, kpt_scores = merge_flipped(
                corners, det_scores, cf, sf, kpt_scores, kf)
            found = list(range(len(corners)))
        corners, source = assemble_column(corners, det_scores,
                                          len(AASCE_LEVELS), img.shape[0])
        # per corner: its detection's keypoint score, 0 where filled in
        scores = np.where(source[:, None] >= 0, kpt_scores[source], 0.0) \
            if len(found) else np.zeros((len(AASCE_LEVELS), 4))
        return corners, scores, source >= 0


def draw_scoliosis(image, corners, result, truth=None):
    """The corners of every vertebra, the endplate lines of each angle's end
    vertebrae and the three angles written on the film (BGR). ``truth``
    (optional (17, 4, 2)) is drawn in green under the prediction."""
    img = image.copy() if image.ndim == 3 else cv2.cvtColor(
        image, cv2.COLOR_GRAY2BGR)
    scale = max(1, img.shape[0] // 1000)
    colours = [(0, 200, 255), (255, 120, 0), (200, 0, 255)]
    if truth is not None:
        for c in np.asarray(truth, float):
            cv2.polylines(img, [np.round(c[[0, 1, 3, 2]]).astype(np.int32)],
                          True, (0, 200, 0), scale, cv2.LINE_AA)
    detected = result.get('detected')
    for i, c in enumerate(np.asarray(corners, float)):
        if not np.isfinite(c).all():
            continue
        # filled in by the column assembly, not detected: grey
        colour = (0, 0, 255) if detected is None or detected[i] else (
            160, 160, 160)
        cv2.polylines(img, [np.round(c[[0, 1, 3, 2]]).astype(np.int32)],
                      True, colour, scale, cv2.LINE_AA)
    index = {lv: i for i, lv in enumerate(AASCE_LEVELS)}
    c = np.asarray(corners, float)
    lines = []
    for k, ((top, bottom), angle, colour) in enumerate(zip(
            result['end_vertebrae'], result['angles'], colours)):
        if top is None or not np.isfinite(angle):
            lines.append((f'{ANGLE_NAMES[k].replace("_", " ")}: no column '
                          'found', colour))
            continue
        for lv, (a, b) in ((top, (0, 1)), (bottom, (2, 3))):
            p, q = c[index[lv], a], c[index[lv], b]
            d = (q - p) / max(np.linalg.norm(q - p), 1e-6)
            cv2.line(img, tuple(np.round(p - d * 60).astype(int)),
                     tuple(np.round(q + d * 60).astype(int)), colour,
                     2 * scale, cv2.LINE_AA)
        lines.append((f'{ANGLE_NAMES[k].replace("_", " ")}: {angle:.1f} deg '
                      f'({top}-{bottom})', colour))
    for k, (text, colour) in enumerate(lines):
        cv2.putText(img, text, (10, 30 * scale * (k + 1)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.7 * scale, colour,
                    2 * scale, cv2.LINE_AA)
    return img


SCOLIOSIS_CSV_COLUMNS = ('level', 'tilt_deg', 'superior_right_x',
                         'superior_right_y', 'superior_left_x',
                         'superior_left_y', 'inferior_right_x',
                         'inferior_right_y', 'inferior_left_x',
                         'inferior_left_y', 'min_corner_score', 'detected')


def _num(x, nd=3):
    """A JSON number, or None where there is none (no NaN in JSON)."""
    x = float(x)
    return round(x, nd) if np.isfinite(x) else None


def scoliosis_report(result, source=None):
    """The JSON-able report of one film: per vertebra its corners (AP
    scheme names) and tilt, the three Cobb angles with their end
    vertebrae."""
    from ..anatomy import AP_KEYPOINT_NAMES
    rows = []
    detected = result.get('detected', [True] * len(AASCE_LEVELS))
    for lv, c, t, s, d in zip(AASCE_LEVELS, result['corners'],
                              result['tilts'], result['scores'], detected):
        rows.append(dict(level=lv, tilt_deg=_num(t), detected=bool(d),
                         corners={n: [_num(v, 2) for v in p]
                                  for n, p in zip(AP_KEYPOINT_NAMES, c)},
                         min_corner_score=round(float(np.min(s)), 4)))
    angles = [dict(name=n, degrees=_num(a), upper=ev[0],
                   lower=ev[1])
              for n, a, ev in zip(ANGLE_NAMES, result['angles'],
                                  result['end_vertebrae'])]
    return dict(file=source, view='ap', width=int(result['width']),
                height=int(result['height']),
                s_shaped=bool(result['s_shaped']), cobb_angles=angles,
                vertebrae=rows,
                note='angles by the AASCE 2019 organisers\' rule '
                '(spinemm.morphometry.cobb); the first is the largest')


def write_scoliosis_report(report, result, image, out_dir, stem,
                           overwrite=False):
    """``<stem>.csv``, ``<stem>.json`` and ``<stem>.png``, each written
    under a temporary name."""
    import csv
    import os.path as osp

    from ..utils import atomic_file, atomic_write_json
    with atomic_file(osp.join(out_dir, stem + '.csv'), '.csv',
                     overwrite=overwrite) as tmp, \
            open(tmp, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(SCOLIOSIS_CSV_COLUMNS)
        for row in report['vertebrae']:
            xy = [v for p in row['corners'].values() for v in p]
            w.writerow([row['level'], row['tilt_deg'], *xy,
                        row['min_corner_score'], int(row['detected'])])
    atomic_write_json(osp.join(out_dir, stem + '.json'), report, indent=1,
                      overwrite=overwrite)
    with atomic_file(osp.join(out_dir, stem + '.png'), '.png',
                     overwrite=overwrite) as tmp:
        cv2.imwrite(tmp, draw_scoliosis(image, result['corners'], result))
