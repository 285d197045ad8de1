"""Vertebral-body centroids from whole-vertebra label masks.

VerSe's published ``*_ctd.json`` give one centroid per vertebra at the
centre of its **body**, not of the whole mask: the posterior elements
(pedicles, laminae, transverse and spinous processes) pull a whole-mask
centroid 7-15 mm backwards on real lumbar masks, so scoring mask centres
against VerSe's files is not VerSe's protocol.

The body is the thickest part of a vertebra at its front: its inscribed
sphere is bounded by the body height (10-30 mm; less in a crushed one), the
posterior elements are plates and rods a few mm thick. On the vertebra's
bounding box:

1. ``d`` = Euclidean distance (mm) of each mask voxel to the background;
2. the seed = the deepest voxel of the **anterior half** of the mask (by
   world RAS+ ``y``, i.e. the affine must be right about anterior): without
   that, a fracture-flattened body (VerSe's ``sub-verse004`` L1, 9 mm tall)
   is thinner than its own arch, and the arch would be taken;
3. the core = the connected component of ``d >= r`` holding the seed, ``r
   = fraction * d(seed)``;
4. the body = mask voxels within ``r`` mm of the core (an opening: the body
   gets its corners back, the thin parts do not come back);
5. its centroid.

Measured (tests): within 1.8 mm of VerSe's published ``sub-verse004``
centroids (T9-L5; whole-mask centres: 9.5-14.9 mm), within 1.1 mm of the
bodies drawn by the TPTBox sub-region masks, within 1.1 mm of the phantoms'
body centres. ``fraction`` 0.7 was chosen on those cases (0.5: L1 14 mm off;
0.9: the TPTBox L2 16 mm off).
"""
import numpy as np
from scipy import ndimage

#: the opening radius as a fraction of the seed's inscribed radius
BODY_FRACTION = 0.7


def _box(mask, margin=1):
    idx = np.nonzero(mask)
    return tuple(slice(max(int(i.min()) - margin, 0), int(i.max()) + 1 + margin)
                 for i in idx)


def body_mask(mask, affine, fraction=BODY_FRACTION):
    """The vertebral-body part (boolean, same shape) of one vertebra's
    boolean ``mask`` on a grid with this 4x4 voxel-to-RAS+ ``affine``; see
    the module docstring. An empty mask gives an empty one."""
    mask = np.asarray(mask, bool)
    affine = np.asarray(affine, float)
    out = np.zeros(mask.shape, bool)
    if not mask.any():
        return out
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    box = _box(mask)
    m = np.pad(mask[box], 1)  # background all round for the distances
    d = ndimage.distance_transform_edt(m, sampling=spacing)
    idx = np.argwhere(m)
    origin = np.array([s.start for s in box]) - 1  # padded -> full grid
    anterior = (idx + origin) @ affine[1, :3] + affine[1, 3]
    front = anterior >= (anterior.min() + anterior.max()) / 2
    depth = d[tuple(idx.T)]
    seed = tuple(idx[int(np.argmax(np.where(front, depth, -1.0)))])
    r = fraction * float(d[seed])
    comps, _ = ndimage.label(d >= r)
    core = comps == comps[seed]
    near = ndimage.distance_transform_edt(~core, sampling=spacing) <= r
    out[box] = (m & near)[1:-1, 1:-1, 1:-1]
    return out


def body_centroids(volume, fraction=BODY_FRACTION):
    """``{label: (3,) world RAS+ mm}``: the body centroid of each label of
    a vertebra label :class:`~spinemm.io.Volume` (any grid)."""
    labels = np.asarray(volume.data)
    out = {}
    objects = ndimage.find_objects(labels.astype(np.int32))
    for v, sl in enumerate(objects, 1):
        if sl is None:
            continue
        sub_affine = volume.affine.copy()
        start = np.array([s.start for s in sl], float)
        sub_affine[:3, 3] = volume.voxel_to_world(start)[0]
        body = body_mask(labels[sl] == v, sub_affine, fraction)
        centre = np.array(ndimage.center_of_mass(body)) + start
        out[v] = volume.voxel_to_world(centre)[0]
    return out
