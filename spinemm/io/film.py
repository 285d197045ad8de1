"""Films from PNG / JPEG / TIFF files, checked before a model sees them.

OpenCV reads what it can and says little: a JPEG cut to a third of its
bytes decodes with grey fill below the cut (libjpeg's warning names no
file), and ``cv2.IMREAD_COLOR`` brings a 16-bit PNG to 8 bits by dropping
the low byte, so a 12-bit film (values 0..4095) reaches the model as values
0..15, a black image that still gets Cobb angles. :func:`read_film` refuses
the first, rescales the second, and refuses images too small to be a film.
"""
import os.path as osp

import cv2
import numpy as np

from ..utils.errors import InputError
from .intensity import film_to_uint8

#: fewest pixels along a side of a film (the smallest real AASCE film is
#: 355 px wide; a thumbnail or an icon is not a radiograph)
MIN_FILM_SIDE = 64


def check_decodes_whole(path):
    """Raise :class:`InputError` naming ``path`` when the image does not
    decode whole (a truncated or damaged PNG / JPEG / TIFF): Pillow, unlike
    OpenCV, raises on a premature end of the data."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            im.load()
    except FileNotFoundError:
        raise
    except Exception as e:  # OSError 'image file is truncated', ...
        raise InputError(f'{path}: the image does not decode whole '
                         f'({type(e).__name__}: {e}): a truncated or '
                         'damaged file') from e


def read_film(path, min_side=MIN_FILM_SIDE):
    """A film as a uint8 BGR image, after checking it.

    - it decodes whole (:func:`check_decodes_whole`);
    - more than 8 bits (16-bit PNG / TIFF): its real range is used: a film
      whose values fit 8 bits is kept as stored, any other is brought to 8
      bits linearly from its own range
      (:func:`spinemm.io.intensity.film_to_uint8`: how the 8-bit films the
      models train on look), never through OpenCV's drop of the low byte;
    - at least ``min_side`` pixels along each side.

    Raises :class:`InputError` naming the file, or FileNotFoundError.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    check_decodes_whole(path)
    # IMREAD_COLOR as before (EXIF orientation applied), depth kept
    img = cv2.imread(path, cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
    if img is None:
        raise InputError(f'{path} is not a readable image')
    if img.dtype != np.uint8:
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        if grey.min() >= 0 and grey.max() <= 255:
            grey = grey.astype(np.uint8)
        else:
            grey = film_to_uint8(grey)
        img = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    h, w = img.shape[:2]
    if min(h, w) < min_side:
        raise InputError(f'{path}: {w}x{h} px is too small for a film (at '
                         f'least {min_side} px a side)')
    return img
