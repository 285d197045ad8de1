"""Anterior, middle and posterior vertebral heights from the six keypoints."""
import numpy as np

# (inferior point, superior point) of each height, as indices into
# spinemm.anatomy.KEYPOINT_NAMES: anterior = bottom_left-top_left,
# middle = bottom_middle-top_middle, posterior = bottom_right-top_right.
HEIGHT_PAIRS = {'anterior': (0, 5), 'middle': (1, 4), 'posterior': (2, 3)}


def vertebral_heights(keypoints, spacing=1.0, scores=None, score_thr=0.0):
    """Heights (Ha, Hm, Hp) of each vertebra, in mm when spacing is in mm.

    Args:
        keypoints: (6, 2) or (N, 6, 2) x, y pixel coordinates in the order of
            ``KEYPOINT_NAMES``; NaN marks a missing point.
        spacing: mm per pixel, a scalar or (row, col) as DICOM PixelSpacing
            gives it (row spacing scales y, column spacing scales x).
        scores: optional (N, 6) keypoint scores; points scoring below
            ``score_thr`` count as missing.

    Returns:
        (N, 3) array [anterior, middle, posterior]; a height that needs a
        missing point is NaN. Distances are Euclidean, so a mirrored image (the
        patient facing the other way) gives the same heights: keypoint names,
        not image sides, say which points are anterior.
    """
    kps = np.asarray(keypoints, dtype=float)
    if kps.ndim == 2:
        kps = kps[None]
    if kps.ndim != 3 or kps.shape[1:] != (6, 2):
        raise ValueError(f'keypoints must be (6, 2) or (N, 6, 2), got '
                         f'{np.shape(keypoints)}')
    kps = kps.copy()
    if scores is not None:
        scores = np.asarray(scores, float).reshape(len(kps), 6)
        kps[scores < score_thr] = np.nan
    row, col = (spacing, spacing) if np.isscalar(spacing) else spacing
    mm = kps * np.array([col, row], float)
    heights = [
        np.linalg.norm(mm[:, top] - mm[:, bottom], axis=-1)
        for bottom, top in HEIGHT_PAIRS.values()
    ]
    return np.stack(heights, axis=1)
