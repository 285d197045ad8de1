"""The skull as a level cue: the column's top vertebra under it is C1 or C2.

A scan of the neck (a cervical-spine trauma CT, RSNA 2022's kind) may end
above T1: no rib, no sacrum, nothing to count from. It has the skull
instead. C1, the atlas, carries the skull (the occipital condyles rest on
its lateral masses, a joint of 2-3 mm), and the dens of C2 rises through
C1's ring into the foramen magnum. So a top vertebra the scan does not
cut, with the skull's bone straight above it, is C1 or C2: C1 when it is a
ring (seen from above, no bone of its own at its centroid: the dens fills
the middle) or comes in pieces side by side (the atlas has no body, and a
model seeded by the vertebral bodies' centres takes each lateral mass for
a vertebra), C2 when it is much taller than the next one (the dens; C1
merged into it, or missed).

:func:`below_skull` tells which; :func:`skull_from_hu` finds the skull's
candidate bone in a CT (a template's codes give it exactly).
"""
import numpy as np
from scipy import ndimage


def skull_from_hu(hu, taken, min_hu=250.0):
    """Bone (``hu`` >= ``min_hu``) that is none of the ``taken`` voxels
    (bool: the network's vertebrae and ribs): where the skull, if any, is."""
    return (np.asarray(hu) >= min_hu) & ~np.asarray(taken, bool)


def _extent(mask):
    """First and last index along axis 0 of a bool mask."""
    rows = np.nonzero(mask.any(axis=(1, 2)))[0]
    return rows[0], rows[-1] + 1


def _side_by_side(a, b):
    """Two instances at one height: their head-to-foot extents overlap by
    more than half the shorter one, and their centres lie within a quarter
    of it of each other along that axis (C1's lateral masses; two levels
    overlap at most by a tilted disc's height)."""
    (a0, a1), (b0, b1) = _extent(a), _extent(b)
    shorter = min(a1 - a0, b1 - b0)
    dz = abs(np.nonzero(a)[0].mean() - np.nonzero(b)[0].mean())
    return min(a1, b1) - max(a0, b0) > 0.5 * shorter and dz < 0.25 * shorter


def _skull_like(piece, z_top, spacing, min_ml, above, min_wide_mm,
                min_deep_mm):
    """A bone piece that is the skull, not vertebrae the model missed above
    the top instance nor the upper chest's bones: ``min_ml`` or more,
    ``above`` of it or more higher than ``z_top`` (ribs descend below the
    vertebra they leave), and at least ``min_wide_mm`` from side to side
    and ``min_deep_mm`` from front to back (a skull base's bowl; the
    phantoms' skulls 108-136 and 134-168 mm; the real abdominal CT's six
    top vertebrae taken out leave one of 60 ml, 91 % above, but 60 mm
    wide and 102 mm deep)."""
    where = np.nonzero(piece)
    if where[0].size * float(np.prod(spacing)) / 1000.0 < min_ml:
        return False
    size = [(w.max() - w.min() + 1) * sp for w, sp in zip(where, spacing)]
    return (where[0] < z_top).mean() >= above and \
        size[2] >= min_wide_mm and size[1] >= min_deep_mm


def below_skull(instances, skull, spacing, gap_mm=15.0, reach_mm=25.0,
                min_skull_ml=60.0, above=0.9, min_wide_mm=100.0,
                min_deep_mm=110.0, ring_mm=5.0, dens_ratio=1.5):
    """``(instances, top)``: ``top`` is ``'C1'`` or ``'C2'`` for the top
    instance (id 1: instances are numbered head to foot on the ('I', 'P',
    'R') grid), or None when the skull is no cue: ``skull`` (bool) has a
    piece with a voxel at most ``gap_mm`` above the top instance's highest
    voxel and within ``reach_mm`` of its centroid in the other two axes
    (the mandible lies in front, the shoulders below), shaped like a skull
    (:func:`_skull_like`: ``min_skull_ml``, ``above``, ``min_wide_mm``,
    ``min_deep_mm``), and the top face of the volume does not cut the
    instance. On the truth of the real chest and abdominal CTs with up to
    six of their top vertebrae taken out (a model missing them), no bone
    above passes (tests/test_ct_skull.py).

    The top instance is C1 when it is a ring (seen from above, along axis
    0, none of its voxels within ``ring_mm`` of its centroid: 9-12 mm on
    the phantoms' C1, 0-2 mm on C2), or when the first instances lie
    side by side (C1's lateral masses and arch: the atlas has no body, and
    a model seeded by the bodies' centres takes each mass for one; they
    are joined into instance 1 and the rest renumbered). It is C2 when it
    is at least ``dens_ratio`` times as tall as the next instance (the
    dens: C2 34-40 mm, C3 16-20 mm on the phantoms; C1 14-20 mm), with C1
    merged into it or missed, or when it is the only one and no ring;
    otherwise C1 (a slice model marks C1 with part of the dens: 21-30 mm,
    C2's rest as tall or taller)."""
    instances = np.asarray(instances)
    spacing = np.broadcast_to(np.asarray(spacing, float), (3, ))
    top = instances == 1
    if not top.any() or top[0].any() or skull is None:
        return instances, None
    # C1's pieces side by side (the lateral masses, the anterior arch)
    pieces = 1
    while (instances == pieces + 1).any() and \
            _side_by_side(top, instances == pieces + 1):
        pieces += 1
        top = top | (instances == pieces)
    if top[0].any():
        return instances, None
    second = instances == pieces + 1
    where = np.nonzero(top)
    z_top = where[0].min()
    centre = np.array([w.mean() for w in where])
    z0 = max(0, z_top - int(np.ceil(gap_mm / spacing[0])))
    box = np.zeros(instances.shape, bool)
    lo = np.floor(centre[1:] - reach_mm / spacing[1:]).astype(int)
    hi = np.ceil(centre[1:] + reach_mm / spacing[1:]).astype(int) + 1
    lo = np.maximum(lo, 0)
    box[z0:z_top, lo[0]:hi[0], lo[1]:hi[1]] = True
    comps, n = ndimage.label(np.asarray(skull, bool))
    if n == 0:
        return instances, None
    near = np.unique(comps[box & (comps > 0)])
    if not any(_skull_like(comps == c, z_top, spacing, min_skull_ml, above,
                           min_wide_mm, min_deep_mm) for c in near):
        return instances, None
    if pieces > 1:
        out = instances.copy()
        out[top] = 1
        out[out > pieces] -= pieces - 1
        return out, 'C1'
    # seen from above, a ring leaves its centre open (the dens's place)
    p, r = np.nonzero(top.any(axis=0))
    gap = np.hypot((p - centre[1]) * spacing[1], (r - centre[2]) * spacing[2])
    if gap.min() > ring_mm:
        return instances, 'C1'
    if not second.any():
        return instances, 'C2'
    (a0, a1), (b0, b1) = _extent(top), _extent(second)
    return instances, 'C2' if a1 - a0 >= dens_ratio * (b1 - b0) else 'C1'


__all__ = ['below_skull', 'skull_from_hu']
