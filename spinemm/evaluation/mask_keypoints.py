"""Six keypoints from an instance mask: SpineKey's way, the baseline that the
keypoint head is measured against.

The mask's minimum-area rectangle gives four corners; each is moved to the
nearest point of the mask's outline; the endplate mid-points are the outline
points nearest to the middle of each snapped corner pair. Corners are named
by image position and the side the patient faces (``'left'``: anterior on
image-left, the standard display), so the names stay anatomical.
"""
import cv2
import numpy as np


def keypoints_from_mask(mask, facing='left'):
    """(H, W) binary mask -> (6, 2) keypoints in KEYPOINT_NAMES order, or
    None for an empty mask."""
    mask = np.ascontiguousarray(np.asarray(mask, np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea).reshape(-1, 2).astype(float)
    outline += 0.5  # pixel centres, in the continuous coordinates of COCO
    rect = cv2.boxPoints(cv2.minAreaRect(outline.astype(np.float32)))
    by_y = rect[np.argsort(rect[:, 1], kind='stable')]
    top = by_y[:2][np.argsort(by_y[:2, 0])]  # image-left first
    bottom = by_y[2:][np.argsort(by_y[2:, 0])]
    if facing == 'right':  # anterior is on the image's right
        top, bottom = top[::-1], bottom[::-1]

    def snap(p):
        return outline[np.argmin(((outline - p)**2).sum(1))]

    top_ant, top_post = snap(top[0]), snap(top[1])
    bot_ant, bot_post = snap(bottom[0]), snap(bottom[1])
    top_mid = snap((top_ant + top_post) / 2)
    bot_mid = snap((bot_ant + bot_post) / 2)
    # KEYPOINT_NAMES: bottom_left, bottom_middle, bottom_right, top_right,
    # top_middle, top_left (left = anterior in the standard display)
    return np.stack([bot_ant, bot_mid, bot_post, top_post, top_mid, top_ant])
