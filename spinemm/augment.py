"""SpineTK's photometric augmentation without imgaug (which does not run on
numpy 2): 0 to 5 of the operations below, in random order, each at the range
SpineTK's README uses:

* one of: Gaussian blur (sigma 0-3), average blur (k 2-7), median blur
  (odd k 3-11);
* sharpen (alpha 0-1, lightness 0.75-1.5, imgaug's kernel);
* add a value in [-10, 10];
* multiply by a factor in [0.5, 1.5];
* linear contrast (alpha 0.5-2 about the middle grey 127.5).

Geometry is untouched, so boxes, masks and keypoints stay as they are.
"""
import cv2
import numpy as np


def gaussian_blur(img, rng):
    sigma = rng.uniform(0, 3.0)
    return img if sigma < 0.05 else cv2.GaussianBlur(img, (0, 0), sigma)


def average_blur(img, rng):
    k = int(rng.integers(2, 8))
    return cv2.blur(img, (k, k))


def median_blur(img, rng):
    k = int(rng.choice([3, 5, 7, 9, 11]))
    return cv2.medianBlur(img, k)


def blur(img, rng):
    return (gaussian_blur, average_blur, median_blur)[rng.integers(3)](img,
                                                                      rng)


def sharpen(img, rng):
    alpha, lightness = rng.uniform(0, 1.0), rng.uniform(0.75, 1.5)
    identity = np.zeros((3, 3), np.float32)
    identity[1, 1] = 1
    effect = -np.ones((3, 3), np.float32)
    effect[1, 1] = 8 + lightness
    kernel = (1 - alpha) * identity + alpha * effect
    out = cv2.filter2D(img.astype(np.float32), -1, kernel)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def add(img, rng):
    value = int(rng.integers(-10, 11))
    return np.clip(img.astype(np.int16) + value, 0, 255).astype(np.uint8)


def multiply(img, rng):
    f = rng.uniform(0.5, 1.5)
    return np.clip(np.round(img * f), 0, 255).astype(np.uint8)


def linear_contrast(img, rng):
    a = rng.uniform(0.5, 2.0)
    out = 127.5 + a * (img.astype(np.float32) - 127.5)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


OPERATIONS = (blur, sharpen, add, multiply, linear_contrast)


def spinetk_photometric(img, rng, max_ops=5):
    """Apply 0..``max_ops`` distinct operations in random order; returns the
    image and the names applied."""
    n = int(rng.integers(0, max_ops + 1))
    chosen = rng.permutation(len(OPERATIONS))[:n]
    for i in chosen:
        img = OPERATIONS[i](img, rng)
    return img, [OPERATIONS[i].__name__ for i in chosen]
