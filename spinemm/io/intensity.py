"""Intensity normalisation shared by the 2D tracks."""
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
