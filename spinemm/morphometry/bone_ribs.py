"""Ribs found in the CT's bone, next to the counted vertebrae.

The count (:mod:`spinemm.morphometry.ct_levels`) needs the last
rib-bearing vertebra, and a slice model trained on phantoms misses the
lowest ribs of real CTs: on the real chest CT `_tilt-25_x2_sloped-ribs`
marks 0-13 % of ribs 10-12 (ribs 2-9: 27-48 %), so a vertebra above T10
was taken for T12 and no level came out right (id.rate 0); the abdominal crop
(T11-L2) has no rib marked long enough and no anchor. Those ribs are
plain in the CT: bone running from a vertebra's side out into the chest
wall. :func:`ribs_from_bone` finds them without the network:

- bone: voxels of at least ``min_hu`` (the ribs of the real CTs: a median
  of 200-320 HU on the 2 mm grid), off the vertebrae (and a voxel's shell
  round them: a transverse process the model left out touches it), within
  ``radius_mm`` of the column's axis (the line through the vertebrae's
  middle, row by row), in 26-connected components;
- a rib: a component of ``min_ml`` to ``max_ml`` (an iliac wing is more),
  at least ``min_extent_mm`` long (its box's diagonal), reaching at least
  ``lateral_mm`` to the side of the column's axis (left or right: a lumbar
  transverse process ends 40-50 mm out, a rib's posterior arc runs 60 mm
  and more; a spinous process runs backwards, and the arch of a lumbar
  vertebra the network left out, joined with its neighbours' at the
  facets, reached 60 mm from TPTBox's L2 axis that way), whose
  nearest voxel to a vertebra lies within ``attach_mm`` of it and not in
  front of that vertebra's middle (the aorta and its contrast-filled
  branches lie in front of the column; a rib's head and neck lie at its
  side and back);
- it bears on the vertebra its nearest voxel is next to.

The count uses such ribs for the last rib-bearing vertebra only, and
never on the three vertebrae above the sacrum (the iliac crest).

On the truth instances of the real CTs it finds ribs on T3-T8, T11 and
T12 of the chest (none on C5-C7 or L1-L3) and on T12 of the abdomen and
its crop, none on L1-S1 nor on TPTBox's L2-L4; on the instances of
`_tilt-25_x2_sloped-ribs`, on T4-T6, T8 and T10-T12 of the chest and T12
of the abdomen and crop (2026-12-06).
"""
import numpy as np
from scipy import ndimage


def _column_axis(vert):
    """Per row (axis 0) the middle (rows, cols of axes 1, 2) of ``vert``,
    interpolated over rows without it."""
    rows = np.nonzero(vert.any((1, 2)))[0]
    mid = np.array([[np.nonzero(vert[r])[k].mean() for k in (0, 1)]
                    for r in rows])
    every = np.arange(vert.shape[0])
    return (np.interp(every, rows, mid[:, 0]),
            np.interp(every, rows, mid[:, 1]))


def ribs_from_bone(instances, hu, spacing, min_hu=150.0, radius_mm=100.0,
                   min_ml=0.5, max_ml=60.0, min_extent_mm=40.0,
                   lateral_mm=60.0, attach_mm=6.0):
    """``{instance id: number of ribs}`` found in ``hu`` next to
    ``instances`` (ids; ('I', 'P', 'R') grid of ``spacing`` mm, axis 1
    running to the back): see the module text."""
    inst = np.asarray(instances)
    hu = np.asarray(hu)
    spacing = np.broadcast_to(np.asarray(spacing, float), (3, ))
    vert = inst > 0
    if not vert.any():
        return {}
    cy, cx = _column_axis(vert)
    yy, xx = np.mgrid[:inst.shape[1], :inst.shape[2]]
    dy = (yy[None] - cy[:, None, None]) * spacing[1]
    dx = (xx[None] - cx[:, None, None]) * spacing[2]
    lateral = np.abs(dx)  # to the side: a spinous process runs backwards
    bone = (hu >= min_hu) & ~ndimage.binary_dilation(vert) & \
        (np.hypot(dy, dx) <= radius_mm)
    comps, n = ndimage.label(bone, structure=np.ones((3, 3, 3)))
    if n == 0:
        return {}
    dist, idx = ndimage.distance_transform_edt(~vert, sampling=spacing,
                                               return_indices=True)
    owner = inst[tuple(idx)]
    voxel_ml = float(np.prod(spacing)) / 1000.0
    bearing = {}
    for c, box in enumerate(ndimage.find_objects(comps), 1):
        local = np.nonzero(comps[box] == c)
        if not min_ml <= len(local[0]) * voxel_ml <= max_ml:
            continue
        where = tuple(w + sl.start for w, sl in zip(local, box))
        extent = np.hypot.reduce([(w.max() - w.min() + 1) * s
                                  for w, s in zip(where, spacing)])
        if extent < min_extent_mm or lateral[where].max() < lateral_mm:
            continue
        k = int(np.argmin(dist[where]))
        near = tuple(w[k] for w in where)
        if dist[near] > attach_mm or dy[near] < 0:  # in front: a vessel
            continue
        i = int(owner[near])
        bearing[i] = bearing.get(i, 0) + 1
    return bearing


__all__ = ['ribs_from_bone']
