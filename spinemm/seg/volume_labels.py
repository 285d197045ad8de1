"""From a stacked class volume to vertebra instances with VerSe labels.

A 2D/2.5D model run slice by slice gives a class index per voxel. With one
class per level (``mode='levels'``), each level's instance is the largest
connected component of its class (smaller blobs of that class are stray
pixels on other slices and are dropped). In binary mode the vertebrae are the
connected components of the foreground, numbered 1, 2, ... from head to foot
(array axis 0 runs head to foot on the served ('I', 'P', 'R') grid); those
numbers are instance ids, not VerSe levels.
"""
import numpy as np
from scipy import ndimage

from ..formats.verse import LEVEL_TO_VERSE


def class_labels(classes):
    """VerSe label of each class (index 0 background -> 0), or ``None`` for
    the binary ``('background', 'vertebra')``."""
    classes = tuple(classes)
    if classes == ('background', 'vertebra'):
        return None
    unknown = [c for c in classes[1:] if c not in LEVEL_TO_VERSE]
    if classes[0] != 'background' or unknown:
        raise ValueError(f'classes must be background then VerSe level names;'
                         f' unknown: {unknown or classes[0]}')
    return [0] + [LEVEL_TO_VERSE[c] for c in classes[1:]]


def _largest_component(mask):
    comp, n = ndimage.label(mask)
    if n == 0:
        return mask, 0
    sizes = np.bincount(comp.ravel())[1:]
    best = int(sizes.argmax()) + 1
    return comp == best, int(sizes[best - 1])


def instances_from_classes(classes_volume, classes, min_voxels=100):
    """Label volume (uint8: VerSe labels, or instance ids in binary mode).

    Args:
        classes_volume: (I, P, R) class indices of ``classes``.
        min_voxels: instances smaller than this are dropped.
    """
    cls = np.asarray(classes_volume)
    labels = class_labels(classes)
    out = np.zeros(cls.shape, np.uint8)
    if labels is None:
        comp, n = ndimage.label(cls > 0)
        if n == 0:
            return out
        sizes = np.bincount(comp.ravel())[1:]
        keep = [i + 1 for i in range(n) if sizes[i] >= min_voxels]
        tops = ndimage.center_of_mass(np.ones(cls.shape), comp, keep) \
            if keep else []
        order = sorted(zip(keep, tops), key=lambda kt: kt[1][0])
        for new_id, (i, _) in enumerate(order, 1):
            out[comp == i] = new_id
        return out
    for c in range(1, len(labels)):
        mask = cls == c
        if not mask.any():
            continue
        largest, size = _largest_component(mask)
        if size >= min_voxels:
            out[largest] = labels[c]
    return out


def relabel_by_overlap(pred_ids, gt):
    """Give each predicted instance the ground-truth label it overlaps most
    (0 when it overlaps none): how a binary model's instances are scored per
    vertebra. Identification is then by construction, so id.rate is not
    reported for binary models."""
    pred_ids, gt = np.asarray(pred_ids), np.asarray(gt)
    out = np.zeros(gt.shape, np.uint8)
    for i in np.unique(pred_ids):
        if i == 0:
            continue
        m = pred_ids == i
        under = gt[m]
        under = under[under > 0]
        if under.size:
            out[m] = np.bincount(under).argmax()
    return out
