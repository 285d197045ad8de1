"""Intensity normalisation: the one place images get windowed (SpineTK's
8-bit normalisation, CT HU windows to uint8 and to [0, 1])."""
import numpy as np


def spinetk_normalize(image, num_sd=2.5):
    """SpineTK's normalisation to 8 bits.

    Clip to mean +- ``num_sd`` standard deviations of the non-zero pixels,
    then rescale that range linearly to 0-255 (uint8). A 3D array (a series)
    is reduced to its central slice along the last axis first.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3:
        img = img[..., img.shape[-1] // 2]
    if img.ndim != 2:
        raise ValueError(f'expected a 2D image or a 3D series, got shape '
                         f'{np.shape(image)}')
    nonzero = img[img != 0]
    if nonzero.size == 0:
        return np.zeros(img.shape, np.uint8)
    mean, sd = nonzero.mean(), nonzero.std()
    lo, hi = mean - num_sd * sd, mean + num_sd * sd
    if hi <= lo:
        return np.zeros(img.shape, np.uint8)
    out = (np.clip(img, lo, hi) - lo) / (hi - lo) * 255.0
    return np.round(out).astype(np.uint8)


def film_to_uint8(image, tail=0.01):
    """A film of more than 8 bits (16-bit PNG / TIFF, DICOM modality or VOI
    values) -> uint8, linearly from its own range: the ``tail`` and
    100 - ``tail`` percentiles (a few burned-in letters or a collimator
    edge do not set the range) map to 0 and 255.

    This is how a viewer shows a film without a window, and how 8-bit
    exports (the PNG / JPEG films spinemm's real-film models train on)
    look: a lossless 16-bit copy of an 8-bit film (values x 257) comes back
    exactly as the 8-bit film. SpineTK's normalisation
    (:func:`spinetk_normalize`, mean +- 2.5 SD) stretches the contrast of
    such a copy instead, and the lateral detector then found 10 of the 15
    vertebrae it finds on the 8-bit film."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f'expected a 2D image, got shape {img.shape}')
    lo, hi = np.percentile(img, [tail, 100.0 - tail])
    if hi <= lo:
        lo, hi = float(img.min()), float(img.max())
    if hi <= lo:
        return np.zeros(img.shape, np.uint8)
    out = (np.clip(img, lo, hi) - lo) / (hi - lo) * 255.0
    return np.round(out).astype(np.uint8)


#: the bone window every CT track uses by default (level 400, width 1800)
BONE_WINDOW = (-500.0, 1300.0)


def hu_window(hu, low=BONE_WINDOW[0], high=BONE_WINDOW[1]):
    """HU -> uint8 through a window (default: bone, level 400 width 1800)."""
    x = (np.asarray(hu, np.float32) - low) / (high - low)
    return np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)


def hu_to_unit(hu, window=BONE_WINDOW):
    """HU -> float32 in [0, 1] over ``window``, clipped: :func:`hu_window`
    without its uint8 rounding (what the 3D models see)."""
    low, high = window
    x = (np.asarray(hu, np.float32) - low) / (high - low)
    return np.clip(x, 0.0, 1.0)
