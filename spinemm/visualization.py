"""Drawing vertebrae (boxes, masks, keypoints) on images, with OpenCV only.

Anterior points (``*_left`` in the standard display) are drawn in orange,
posterior ones (``*_right``) in cyan, endplate mid-points in yellow, so a
mislabelled side is visible at a glance whichever way the patient faces.
"""
import cv2
import numpy as np

from .anatomy import KEYPOINT_NAMES, SKELETON

POINT_COLOURS = {'left': (0, 140, 255), 'right': (255, 200, 0),
                 'middle': (0, 230, 255)}  # BGR
BOX_COLOUR = (80, 220, 80)


def _colour(name):
    return POINT_COLOURS[name.split('_')[1]]


def draw_vertebrae(image, boxes=(), masks=None, keypoints=None, labels=None,
                   scores=None, thickness=1):
    """Return a BGR copy of ``image`` with the vertebrae drawn.

    Args:
        image: (H, W) or (H, W, 3) uint8.
        boxes: (N, 4) xyxy. masks: (N, H, W) bool or None.
        keypoints: (N, 6, 2 or 3) in KEYPOINT_NAMES order (a third column
            of 0 hides a point). labels: N strings. scores: N floats.
    """
    img = np.asarray(image)
    img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else \
        img.copy()
    if masks is not None and len(masks):
        overlay = img.copy()
        rng = np.random.default_rng(0)
        for m in masks:
            overlay[np.asarray(m, bool)] = rng.integers(60, 255, 3)
        img = cv2.addWeighted(overlay, 0.35, img, 0.65, 0)
    for i, b in enumerate(np.asarray(boxes, float).reshape(-1, 4)):
        x1, y1, x2, y2 = np.round(b).astype(int)
        cv2.rectangle(img, (x1, y1), (x2, y2), BOX_COLOUR, thickness)
        text = ' '.join(str(t) for t in (
            labels[i] if labels is not None else '',
            f'{scores[i]:.2f}' if scores is not None else '') if t)
        if text:
            cv2.putText(img, text, (x1, max(y1 - 2, 8)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.3, BOX_COLOUR, 1,
                        cv2.LINE_AA)
    if keypoints is not None:
        for kp in np.asarray(keypoints, float):
            vis = kp[:, 2] > 0 if kp.shape[1] > 2 else np.ones(len(kp), bool)
            pts = np.round(kp[:, :2]).astype(int)
            for a, b in SKELETON:
                if vis[a - 1] and vis[b - 1]:
                    cv2.line(img, tuple(pts[a - 1]), tuple(pts[b - 1]),
                             (200, 200, 200), 1, cv2.LINE_AA)
            for name, p, v in zip(KEYPOINT_NAMES, pts, vis):
                if v:
                    cv2.circle(img, tuple(p), 2, _colour(name), -1,
                               cv2.LINE_AA)
    return img


def seg_overlay(image, pred, palette, gt=None, alpha=0.45, path=None):
    """A class map drawn on a grey (or BGR) slice: the prediction filled in
    the palette's colours (RGB, as mmseg stores it), the ground truth, when
    given, as outlines of the same colours. Written to ``path`` (PNG,
    atomically) when given; returned as BGR."""
    img = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 \
        else image.copy()
    palette = np.asarray(palette, np.uint8)[:, ::-1]  # RGB -> BGR
    pred = np.asarray(pred)
    mask = pred > 0
    img[mask] = (alpha * palette[pred[mask]] + (1 - alpha) * img[mask]
                 ).astype(np.uint8)
    if gt is not None:
        gt = np.asarray(gt)
        for c in np.unique(gt):
            if c == 0 or c >= len(palette):
                continue
            contours, _ = cv2.findContours((gt == c).astype(np.uint8),
                                           cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(img, contours, -1,
                             tuple(int(v) for v in palette[c]), 1)
    if path is not None:
        from .utils import atomic_file
        with atomic_file(path, '.png') as tmp:
            cv2.imwrite(tmp, img)
    return img


def tile(images, columns=4, pad=4):
    """Images (BGR, any sizes) in a grid, each cell the largest size."""
    h = max(i.shape[0] for i in images)
    w = max(i.shape[1] for i in images)
    rows = (len(images) + columns - 1) // columns
    grid = np.zeros((rows * (h + pad) + pad, columns * (w + pad) + pad, 3),
                    np.uint8)
    for n, im in enumerate(images):
        r, c = divmod(n, columns)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        grid[y:y + im.shape[0], x:x + im.shape[1]] = im
    return grid
