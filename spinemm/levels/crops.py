"""A square crop of a lateral film around one vertebra, in the vertebra's
own frame: centred on its corners, rotated so that its superior endplate is
level, mirrored so that its anterior side is on the right (films face
either way), and ``context`` vertebral heights wide, so that the neighbours
above and below are in it."""
import cv2
import numpy as np

from ..morphometry.lateral_chain import vertebra_frame


def context_crop(image, corners, size=96, context=3.0, jitter=None):
    """The crop (size x size, the image's dtype and channels) of the
    vertebra with ``corners`` on ``image``: ``context`` vertebral heights
    on each side, superior up, anterior right; outside the film is 0.

    ``jitter`` (optional dict(shift=(dx, dy) in heights, scale=s,
    angle=degrees)): a perturbed frame, for training."""
    centre, height, down, forward = vertebra_frame(corners)
    side = context * max(height, 1.0)
    if jitter:
        dx, dy = jitter.get('shift', (0.0, 0.0))
        centre = centre + (dx * forward + dy * down) * height
        side *= jitter.get('scale', 1.0)
        a = np.deg2rad(jitter.get('angle', 0.0))
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        down, forward = rot @ down, rot @ forward
    # crop pixel (u, v) -> film point: centre + (u/size - 0.5) * side *
    # forward + (v/size - 0.5) * side * down; cv2 wants film -> crop
    k = int(min(4, max(1, round(side / size))))  # warp at k x, then
    big = size * k                                  # area-average down
    src = np.array([centre - 0.5 * side * (forward + down),
                    centre + 0.5 * side * (forward - down),
                    centre + 0.5 * side * (down - forward)], np.float32)
    dst = np.array([[0, 0], [big, 0], [0, big]], np.float32)
    m = cv2.getAffineTransform(src, dst)
    out = cv2.warpAffine(image, m, (big, big), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if k > 1:
        out = cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)
    return out
