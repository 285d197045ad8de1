"""2D views of VerSe cases: which slices, their images, instances and labels.

Arrays come from :mod:`spinemm.formats.verse_volumes` in ``('I', 'P', 'R')``
order. A *sagittal* slice ``k`` is ``volume[:, :, k]`` (rows head to foot,
columns front to back: the standard lateral display, patient facing
image-left); a *coronal* slice ``j`` is ``volume[:, j, ::-1]`` (rows head to
foot, columns from the patient's right to left: the radiological display).
"""
import numpy as np
import pycocotools.mask as mask_utils

from .verse import VERSE_LEVELS

PLANES = ('sagittal', 'coronal')


def _check_plane(plane):
    if plane not in PLANES:
        raise ValueError(f'plane must be one of {PLANES}, not {plane!r}')


def num_slices(shape, plane):
    _check_plane(plane)
    return shape[2] if plane == 'sagittal' else shape[1]


def take_slice(volume, index, plane):
    """One 2D slice of a 3D array (or h5py dataset) in display order."""
    _check_plane(plane)
    if plane == 'sagittal':
        return np.asarray(volume[:, :, index])
    return np.asarray(volume[:, index, :])[:, ::-1]


def put_slice(volume, index, plane, values):
    """Write a 2D slice in display order back into a 3D array (the inverse of
    :func:`take_slice`)."""
    _check_plane(plane)
    if plane == 'sagittal':
        volume[:, :, index] = values
    else:
        volume[:, index, :] = np.asarray(values)[:, ::-1]


def take_slab(volume, index, plane, context=0):
    """Slices ``index - context .. index + context`` stacked as channels
    (H, W, 2 * context + 1), edges repeated: the 2.5D input."""
    n = num_slices(volume.shape, plane)
    idx = np.clip(np.arange(index - context, index + context + 1), 0, n - 1)
    return np.stack([take_slice(volume, int(i), plane) for i in idx], -1)


def labelled_slices(mask, plane, min_pixels=50, step=1):
    """Indices of slices holding at least ``min_pixels`` vertebra pixels,
    every ``step``-th one."""
    mask = np.asarray(mask)
    axes = (0, 1) if plane == 'sagittal' else (0, 2)
    _check_plane(plane)
    counts = (mask > 0).sum(axis=axes)
    return [int(i) for i in np.nonzero(counts >= min_pixels)[0][::step]]


def slice_instances(labels2d, min_pixels=20):
    """One instance per VerSe label on a 2D label slice.

    Returns:
        list of dict(label, level, bbox (x1, y1, x2, y2), area,
        mask (COCO RLE with str counts)), by label.
    """
    out = []
    for label in np.unique(labels2d):
        if label == 0:
            continue
        binary = labels2d == label
        area = int(binary.sum())
        if area < min_pixels:
            continue
        rows, cols = np.nonzero(binary)
        rle = mask_utils.encode(np.asfortranarray(binary.astype(np.uint8)))
        rle['counts'] = rle['counts'].decode()
        out.append(dict(label=int(label), level=VERSE_LEVELS.get(int(label)),
                        bbox=[float(cols.min()), float(rows.min()),
                              float(cols.max() + 1), float(rows.max() + 1)],
                        area=area, mask=rle))
    return out


def seg_classes(mode):
    """Class names of a VerSe segmentation: ``'binary'`` (background,
    vertebra) or ``'levels'`` (background + every level of
    :data:`spinemm.anatomy.LEVELS`)."""
    from ..anatomy import LEVELS
    if mode not in ('binary', 'levels'):
        raise ValueError(f"mode is 'binary' or 'levels', not {mode!r}")
    return ('background', 'vertebra') if mode == 'binary' else \
        ('background', ) + tuple(LEVELS)


def level_classes(labels2d, classes):
    """A VerSe label map -> class indices of a segmentation class list.

    ``('background', 'vertebra')`` is the binary mode (any vertebra -> 1);
    otherwise ``classes`` are ``'background'`` then level names, and each
    VerSe label becomes the index of its level (levels not listed -> 0).
    """
    labels2d = np.asarray(labels2d)
    if classes[0] != 'background':
        raise ValueError(f'the first class must be background: {classes}')
    if tuple(classes) == ('background', 'vertebra'):
        return (labels2d > 0).astype(np.uint8)
    lut = np.zeros(256, np.uint8)
    for label, level in VERSE_LEVELS.items():
        if level in classes:
            lut[label] = classes.index(level)
    return lut[labels2d]


__all__ = ['PLANES', 'num_slices', 'take_slice', 'put_slice', 'take_slab',
           'labelled_slices', 'slice_instances', 'seg_classes',
           'level_classes',
           'index_verse_slices']


def index_verse_slices(root, reader, plane='sagittal', splits=None,
                       min_pixels=50, step=1, progress=True):
    """Every labelled slice of every labelled VerSe case under ``root``.

    Args:
        reader: a :class:`~spinemm.formats.verse_volumes.VerseCaseReader`.
        splits: split folder names to keep (e.g. ``['dataset-01training']``);
            all by default.

    Returns:
        list of dict(case=<index_verse entry>, plane, index).
    """
    from tqdm import tqdm

    from .verse import index_verse
    cases = [c for c in index_verse(root) if c['mask']
             and (splits is None or c['split'] in splits)]
    if not cases:
        raise FileNotFoundError(
            f'no labelled VerSe case under {root}'
            + (f' in splits {list(splits)}' if splits else ''))
    out = []
    for case in tqdm(cases, desc=f'indexing VerSe {plane} slices',
                     disable=not progress):
        mask = reader(case)['mask']
        for k in labelled_slices(mask, plane, min_pixels, step):
            out.append(dict(case=case, plane=plane, index=k))
    return out


class VerseSliceReader:
    """Pixels of one VerSe slice as a dataset item describes it: ``case``,
    ``slice_index`` and ``verse_slice=dict(plane, context, window,
    spacing, cache_dir)`` (what ``VerseSliceSegDataset`` and
    ``VerseSliceDetDataset`` put in their items). Used by the pipeline
    transforms that load the pixels; keeps one
    :class:`~spinemm.formats.verse_volumes.VerseCaseReader` per grid.

    ``reader(results)`` -> dict(img=uint8 (H, W, 2 * context + 1) through
    the HU window, labels=(H, W) VerSe labels or None, spacing=mm per
    pixel).
    """

    def __init__(self):
        self._readers = {}

    def __call__(self, results):
        from .verse_volumes import VerseCaseReader, hu_window
        try:
            opts = results['verse_slice']
            case, k = results['case'], int(results['slice_index'])
        except KeyError as e:
            raise KeyError(f'{results.get("img_path", "this item")}: no {e} '
                           'in the results; the VerSe slice loaders read '
                           'items of VerseSliceSegDataset / '
                           'VerseSliceDetDataset') from None
        key = (opts['spacing'], opts['cache_dir'])
        if key not in self._readers:
            self._readers[key] = VerseCaseReader(*key)
        arrays = self._readers[key](case)
        img = hu_window(take_slab(arrays['ct'], k, opts['plane'],
                                  opts['context']), *opts['window'])
        labels = None if arrays['mask'] is None else \
            take_slice(arrays['mask'], k, opts['plane'])
        return dict(img=img, labels=labels,
                    spacing=float(np.linalg.norm(arrays['affine'][:3, 0])))

    def __getstate__(self):  # dataloader workers open their own files
        return dict(_readers={})
