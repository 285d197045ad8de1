"""From a stacked class volume to vertebra instances with VerSe labels.

A 2D/2.5D model run slice by slice gives a class index per voxel. With one
class per level (``mode='levels'``), each level's instance is the largest
connected component of its class (smaller blobs of that class are stray
pixels on other slices and are dropped). In binary mode the vertebrae are the
connected components of the foreground, numbered 1, 2, ... from head to foot
(array axis 0 runs head to foot on the served ('I', 'P', 'R') grid); those
numbers are instance ids, not VerSe levels.

Also here, shared by the 2.5D (:mod:`spinemm.apis.volume_segment`) and 3D
(:mod:`spinemm.volume3d.inference`) whole-CT segmenters: the grid the
models see (:func:`to_model_grid`), the way back to the CT's grid
(:func:`labels_to_ct`) and the result dict (:func:`segmentation_result`).
"""
import time

import numpy as np
from scipy import ndimage

from ..formats.verse import LEVEL_TO_VERSE
from ..formats.verse_volumes import SLICE_ORIENTATION
from ..io import Volume, reorient, resample, resample_to


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


def to_model_grid(volume: Volume, spacing=1.0, is_label=False) -> Volume:
    """``volume`` on the grid spine_seg models see: ('I', 'P', 'R'), spacing
    mm (as :func:`spinemm.formats.verse_volumes.load_verse_case` serves).
    NaN/inf voxels are an error naming the volume's source."""
    data = np.asarray(volume.data)
    if np.issubdtype(data.dtype, np.floating) and not np.isfinite(data).all():
        raise ValueError(
            f'{volume.meta.get("source", "volume")}: '
            f'{int((~np.isfinite(data)).sum())} NaN/inf voxels; fill them '
            'before segmentation')
    return resample(reorient(volume, SLICE_ORIENTATION), spacing,
                    is_label=is_label)


def labels_to_ct(labels: Volume, ct: Volume) -> Volume:
    """A label volume on the model grid brought back onto the CT's own grid
    (nearest neighbour), uint8, with the CT's affine."""
    out = resample_to(Volume(labels.data.astype(np.uint8), labels.affine),
                      ct, is_label=True)
    return Volume(out.data.astype(np.uint8), ct.affine.copy(), dict(ct.meta))


def segmentation_result(classes, class_names, min_voxels, grid, ct, seconds,
                        t0, bone_edges=True, **extra):
    """The result dict every whole-CT segmenter returns, from its class map
    on the model ``grid``: instances (:func:`instances_from_classes`), the
    labels back on the CT's grid, and the timings (``seconds`` so far, plus
    postprocess and total since ``t0``). Levels counted from anatomy come
    back onto the CT's grid with their edges moved onto its bone
    (:func:`spinemm.morphometry.bone_edges.snap_to_bone`; ``bone_edges``
    False: the model grid's blocks as they are)."""
    from ..synthesis.anatomy_codes import ANATOMY_CLASSES
    from ..synthesis.body_centres import CENTRE_CLASSES
    tp = time.perf_counter()
    if tuple(class_names) in (ANATOMY_CLASSES, CENTRE_CLASSES):
        # levels counted from the ribs and the sacrum
        from ..morphometry.ct_levels import levels_from_anatomy
        instances, extra['anatomy'] = levels_from_anatomy(
            classes, grid.spacing,
            centres=tuple(class_names) == CENTRE_CLASSES, hu=grid.data)
        levels = True
    else:
        instances = instances_from_classes(classes, class_names, min_voxels)
        levels = class_labels(class_names) is not None
    labels = labels_to_ct(Volume(instances, grid.affine.copy()), ct)
    if levels and 'anatomy' in extra and bone_edges:
        from ..morphometry.bone_edges import axial_axis, snap_to_bone
        labels.data[...] = snap_to_bone(labels.data, ct.data, ct.spacing,
                                        axial_axis(ct.affine))
    t3 = time.perf_counter()
    return dict(labels=labels,
                classes=Volume(classes, grid.affine.copy()),
                instances=Volume(instances, grid.affine.copy()),
                grid_ct=grid.data,
                levels=levels,
                seconds=dict(seconds, postprocess=t3 - tp, total=t3 - t0),
                **extra)
