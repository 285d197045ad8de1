"""Pictures of a fracture prediction: a mid-sagittal reformat of the study
with C1..C7 outlined over the slices where stage 1 saw them, coloured by
stage 2's fracture probability (green 0 -> red 1)."""
import cv2
import numpy as np

from ..formats.rsna import RSNA_VERTEBRAE


def prob_colour(p):
    """BGR from green (0) through yellow to red (1)."""
    p = float(np.clip(p, 0, 1))
    return (0, int(round(255 * min(1.0, 2 * (1 - p)))),
            int(round(255 * min(1.0, 2 * p))))


def draw_sagittal(result, window_u8, min_height=640):
    """A BGR picture of ``FracturePredictor`` output.

    Args:
        result: the predictor's dict (study, ratios, boxes, probs,
            sequences through ``slices_used``).
        window_u8: (n, rows, cols) windowed slices, head to foot.
    """
    study = result['study']
    ratios, boxes = result['ratios'], result['boxes']
    seen = ratios.max(1) > 0.5
    good = seen & np.isfinite(boxes).all(1)
    cols = boxes[good, 0] + boxes[good, 2] / 2 if good.any() else \
        np.array([window_u8.shape[2] / 2])
    xc = int(np.clip(np.median(cols), 0, window_u8.shape[2] - 1))
    img = window_u8[:, :, xc]  # (slice head->foot, row anterior->posterior)
    sx, _, sz = study.spacing  # column, row, slice spacing (mm)
    row_mm = study.spacing[1]
    scale_y = sz / row_mm
    h = max(1, int(round(img.shape[0] * scale_y)))
    zoom = max(1.0, min_height / h)
    out_w = int(round(img.shape[1] * zoom))
    out_h = int(round(h * zoom))
    pic = cv2.resize(img, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
    pic = cv2.cvtColor(pic, cv2.COLOR_GRAY2BGR)
    pic = cv2.copyMakeBorder(pic, 28, 0, 0, 150, cv2.BORDER_CONSTANT)
    index = {n: k for k, n in enumerate(study.numbers)}
    for name in RSNA_VERTEBRAE:
        used = result['slices_used'][name]
        p = result['probs'][name]
        if not used:
            continue
        ks = sorted(index[n] for n in used)
        k0, k1 = ks[0], ks[-1] + 1
        b = boxes[k0:k1]
        b = b[np.isfinite(b).all(1)]
        if len(b):
            y0, y1 = b[:, 1].min(), (b[:, 1] + b[:, 3]).max()
        else:
            y0, y1 = 0, img.shape[1]
        top = int(round(k0 * scale_y * zoom)) + 28
        bottom = int(round(k1 * scale_y * zoom)) + 28
        left, right = int(round(y0 * zoom)), int(round(y1 * zoom))
        colour = prob_colour(p)
        cv2.rectangle(pic, (left, top), (right, bottom), colour, 2)
        cv2.putText(pic, f'{name} {p:.2f}', (out_w + 6, (top + bottom) // 2),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)
    po = result['probs']['patient_overall']
    cv2.putText(pic, f'patient_overall {po:.2f}', (6, 19),
                cv2.FONT_HERSHEY_SIMPLEX, 0.55, prob_colour(po), 1,
                cv2.LINE_AA)
    return pic
