"""Image + label-map pairs by file stem (Dourthe et al.'s DICOM+label layout).

    <root>/dicoms/0001.dcm   <root>/labels/0001.npy     (or .png / .jpg labels)
    <root>/images/0.png      <root>/masks/0.npy         (mr2d_lumbar)

Images may be DICOM or PNG; labels ``.npy``, ``.png`` or ``.jpg``. Every image
must have exactly one label map with the same stem and vice versa. Label values
must be the same small set across the whole dataset (the seed's warning:
inconsistent values silently train the wrong classes). JPEG labels are lossy:
their values are snapped to the nearest known label value, with a warning.
"""
import os
import os.path as osp
import warnings

import cv2
import numpy as np

IMAGE_EXTS = ('.dcm', '.png')
LABEL_EXTS = ('.npy', '.png', '.jpg', '.jpeg')


def _by_stem(folder, exts, what):
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{what} folder not found: {folder}')
    files = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() not in exts:
            continue
        if stem in files:
            raise ValueError(f'{folder}: two {what} files for stem {stem!r}: '
                             f'{osp.basename(files[stem])}, {name}')
        files[stem] = osp.join(folder, name)
    return files


def pair_by_stem(image_dir, label_dir):
    """[(stem, image_path, label_path)] sorted by stem.

    Raises:
        ValueError listing the stems without a partner on either side.
    """
    images = _by_stem(image_dir, IMAGE_EXTS, 'image')
    labels = _by_stem(label_dir, LABEL_EXTS, 'label')
    lonely_images = sorted(set(images) - set(labels))
    lonely_labels = sorted(set(labels) - set(images))
    if lonely_images or lonely_labels:
        raise ValueError(
            f'unpaired files between {image_dir} and {label_dir}: images '
            f'without a label {lonely_images[:20]}, labels without an image '
            f'{lonely_labels[:20]}')
    if not images:
        raise ValueError(f'no images ({", ".join(IMAGE_EXTS)}) in {image_dir}')

    def key(stem):
        return (0, int(stem), stem) if stem.isdigit() else (1, 0, stem)

    return [(s, images[s], labels[s]) for s in sorted(images, key=key)]


def read_label_map(path, known_values=None):
    """A label map as a 2D integer array.

    ``.jpg`` labels are snapped to the nearest of ``known_values`` (warned);
    without ``known_values`` a JPEG label is refused, since its values cannot
    be trusted.
    """
    ext = osp.splitext(path)[1].lower()
    if ext == '.npy':
        try:
            arr = np.load(path, allow_pickle=False)
        except ValueError as e:  # an object array needs pickle: refused
            raise ValueError(f'{path}: not a plain numeric array ({e})') from e
        if arr.dtype.kind not in 'biuf':
            raise ValueError(f'{path}: a label map holds numbers, not '
                             f'{arr.dtype}')
    else:
        arr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if arr is None:
            raise ValueError(f'{path}: cannot read the label image')
        if arr.ndim == 3:
            colour = arr[..., :3]
            if ext not in ('.jpg', '.jpeg') and \
                    (colour != colour[..., :1]).any():
                raise ValueError(
                    f'{path}: a colour label image (its channels differ): '
                    'label maps hold one class index per pixel; convert it '
                    'to one channel of indices')
            arr = arr[..., 0]
    arr = np.squeeze(arr)
    if arr.ndim != 2:
        raise ValueError(f'{path}: a label map must be 2D, got {arr.shape}')
    if arr.size == 0:
        raise ValueError(f'{path}: an empty label map ({arr.shape})')
    if ext in ('.jpg', '.jpeg'):
        if known_values is None:
            raise ValueError(f'{path}: JPEG labels are lossy; pass the known '
                             'label values to snap them')
        known = np.asarray(sorted(known_values))
        snapped = known[np.abs(arr[..., None].astype(float) - known).argmin(-1)]
        changed = int((snapped != arr).sum())
        if changed:
            warnings.warn(f'{path}: JPEG label map, {changed} pixels snapped '
                          f'to the label values {known.tolist()}')
        arr = snapped
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError(f'{path}: label values must be whole numbers')
    return arr.astype(np.int64)


def label_value_set(pairs, known_values=None):
    """Label values over the whole set and how many files hold each.

    Returns:
        dict value -> number of label files holding it, sorted by value.

    Raises:
        ValueError naming files (up to 5 per value) whose values are outside
        ``known_values``, when given.
    """
    seen = {}
    for stem, _, label_path in pairs:
        for v in np.unique(read_label_map(label_path, known_values)):
            seen.setdefault(int(v), []).append(label_path)
    if known_values is not None:
        unknown = {v: files[:5] for v, files in seen.items()
                   if v not in set(known_values)}
        if unknown:
            raise ValueError(f'label values outside {sorted(known_values)}: '
                             f'{unknown}')
    return {v: len(seen[v]) for v in sorted(seen)}


def read_image(path):
    """A grey image as float32 (H, W): DICOM (modality values, bright =
    dense) or PNG."""
    from ..io.export import is_dicom
    if path.lower().endswith('.dcm') or is_dicom(path):
        from ..io import read_dicom_image
        return read_dicom_image(path)[0]
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f'{path}: cannot read the image')
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return img.astype(np.float32)
