"""A sixth training class: the centre of each vertebral body.

Instances of a whole CT are seeded by the vertebra voxels that touch no
other vertebra (:func:`spinemm.morphometry.ct_levels.vertebra_instances`).
On real CTs that seed is fragile: the network's ``vertebra_contact`` band
must cut every disc and every facet joint, and a single missed voxel joins
two levels (the lumbar column of the real chest CT came out as one
instance). The VerSe winners seed instances from the vertebral bodies'
centres instead (Payer et al. 2020: a heatmap of each centroid). Here the
centre is a class of the segmentation: ``body_centre`` marks the deepest
part of each vertebra, the voxels whose distance to the vertebra's own
boundary (background, disc, another level) is at least ``frac`` of the
largest such distance in that vertebra, in the connected piece that holds
the largest one. The largest inscribed ball of a vertebra lies in its
body (a lumbar body holds one of ~12 mm radius, a spinous process ~4 mm),
so the class is one blob per body, 10-20 mm from the next one across the
disc: seeds that a missed disc voxel cannot join.
"""
import numpy as np
from scipy import ndimage

from .anatomy_codes import ANATOMY_CLASSES, anatomy_classes, is_vertebra

#: ``'anatomy_centres'`` mode: :data:`ANATOMY_CLASSES` + the body centres
CENTRE_CLASSES = ANATOMY_CLASSES + ('body_centre', )
#: index of ``body_centre`` in :data:`CENTRE_CLASSES`
BODY_CENTRE = len(ANATOMY_CLASSES)


def body_centre_mask(codes, spacing=2.0, frac=0.5):
    """Bool mask (same grid as ``codes``, template codes) of every
    vertebra's body centre: its voxels at a distance (mm, within the
    vertebra) of at least ``frac`` x its largest, the connected piece
    around the largest. A vertebra cut by the volume's face counts the
    face as its boundary."""
    codes = np.asarray(codes)
    spacing = np.broadcast_to(np.asarray(spacing, float), (3, ))
    out = np.zeros(codes.shape, bool)
    vert = np.where(is_vertebra(codes), codes, 0)
    for code, box in enumerate(ndimage.find_objects(vert), 1):
        if box is None:
            continue
        own = np.pad(vert[box] == code, 1)
        depth = ndimage.distance_transform_edt(own, sampling=spacing)
        deep = depth >= frac * depth.max()
        pieces, _ = ndimage.label(deep)
        at = np.unravel_index(np.argmax(depth), depth.shape)
        centre = (pieces == pieces[at])[1:-1, 1:-1, 1:-1]
        out[box] |= centre
    return out


def centre_classes(codes, centres, spacing=2.0, contact_mm=4.0):
    """:data:`CENTRE_CLASSES` indices (uint8): :func:`anatomy_classes` of
    ``codes`` with the vertebra voxels of ``centres`` (a bool mask on the
    same grid, :func:`body_centre_mask` carried along the deformation)
    set to ``body_centre``."""
    out = anatomy_classes(codes, spacing, contact_mm)
    out[np.asarray(centres, bool) & is_vertebra(codes)] = BODY_CENTRE
    return out


__all__ = ['CENTRE_CLASSES', 'BODY_CENTRE', 'body_centre_mask',
           'centre_classes']
