"""AP film -> 68 vertebra corners -> Cobb angles, and a picture of them.

    from spinemm.apis.scoliosis import SpineLandmarker
    model = SpineLandmarker('configs/vertebra_ap/...py', 'best.pth')
    result = model('film.jpg')   # corners (17, 4, 2), angles, end vertebrae
"""
import cv2
import numpy as np

from ..anatomy import AASCE_LEVELS
from ..morphometry.cobb import ANGLE_NAMES, cobb_angles


class SpineLandmarker:
    """A trained whole-spine AP landmark model (``configs/vertebra_ap``):
    the film is one top-down sample whose box is the whole film."""

    def __init__(self, config, checkpoint, device='cpu'):
        from mmpose.apis import init_model
        self.model = init_model(config, checkpoint, device=device)

    def __call__(self, image):
        """``image``: a path or a BGR/grey array. Returns dict(corners=(17,
        4, 2) px, scores=(17, 4), **cobb_angles(...))."""
        from mmpose.apis import inference_topdown
        img = cv2.imread(image, cv2.IMREAD_COLOR) if isinstance(
            image, str) else image
        if img is None:
            raise ValueError(f'{image} is not a readable image')
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        h, w = img.shape[:2]
        # the box the dataset gives a film (mmpose clips to w - 1, h - 1),
        # so that this path and tools/test.py see the same crop
        sample = inference_topdown(self.model, img,
                                   np.array([[0, 0, w - 1, h - 1]], float))[0]
        kpts = np.asarray(sample.pred_instances.keypoints)[0]
        scores = np.asarray(sample.pred_instances.keypoint_scores)[0]
        result = cobb_angles(kpts.reshape(17, 4, 2), h)
        return dict(result, corners=kpts.reshape(17, 4, 2),
                    scores=scores.reshape(17, 4), height=h, width=w)


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
    for c in np.asarray(corners, float):
        cv2.polylines(img, [np.round(c[[0, 1, 3, 2]]).astype(np.int32)],
                      True, (0, 0, 255), scale, cv2.LINE_AA)
    index = {lv: i for i, lv in enumerate(AASCE_LEVELS)}
    c = np.asarray(corners, float)
    lines = []
    for k, ((top, bottom), angle, colour) in enumerate(zip(
            result['end_vertebrae'], result['angles'], colours)):
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
                         'inferior_left_y', 'min_corner_score')


def scoliosis_report(result, source=None):
    """The JSON-able report of one film: per vertebra its corners (AP
    scheme names) and tilt, the three Cobb angles with their end
    vertebrae."""
    from ..anatomy import AP_KEYPOINT_NAMES
    rows = []
    for lv, c, t, s in zip(AASCE_LEVELS, result['corners'],
                           result['tilts'], result['scores']):
        rows.append(dict(level=lv, tilt_deg=round(float(t), 3),
                         corners={n: np.round(p, 2).tolist()
                                  for n, p in zip(AP_KEYPOINT_NAMES, c)},
                         min_corner_score=round(float(np.min(s)), 4)))
    angles = [dict(name=n, degrees=round(float(a), 3), upper=ev[0],
                   lower=ev[1])
              for n, a, ev in zip(ANGLE_NAMES, result['angles'],
                                  result['end_vertebrae'])]
    return dict(file=source, view='ap', width=int(result['width']),
                height=int(result['height']),
                s_shaped=bool(result['s_shaped']), cobb_angles=angles,
                vertebrae=rows,
                note='angles by the AASCE 2019 organisers\' rule '
                '(spinemm.morphometry.cobb); the first is the largest')


def write_scoliosis_report(report, result, image, out_dir, stem):
    """``<stem>.csv``, ``<stem>.json`` and ``<stem>.png``, each written
    under a temporary name."""
    import csv
    import os.path as osp

    from ..utils import atomic_file, atomic_write_json
    with atomic_file(osp.join(out_dir, stem + '.csv'), '.csv') as tmp, \
            open(tmp, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(SCOLIOSIS_CSV_COLUMNS)
        for row in report['vertebrae']:
            xy = [v for p in row['corners'].values() for v in p]
            w.writerow([row['level'], row['tilt_deg'], *xy,
                        row['min_corner_score']])
    atomic_write_json(osp.join(out_dir, stem + '.json'), report, indent=1)
    with atomic_file(osp.join(out_dir, stem + '.png'), '.png') as tmp:
        cv2.imwrite(tmp, draw_scoliosis(image, result['corners'], result))
