"""Lateral digitally reconstructed radiographs (DRR) of CT phantoms.

A parallel projection along the patient's left-right axis: each pixel sums the
linear attenuation (proportional to HU + 1000) through the body, so bone is
bright. The image is shown in the standard lateral display (superior up, the
patient facing image-left: anterior on the left), and every 3D keypoint and
body mask is projected the same way, so the 2D truth is exact.
"""
import cv2
import numpy as np

from ..io import reorient
from .radiograph import PhantomVertebra, RadiographPhantom


def _lateral_axes(volume):
    """(x: R->L, y: A->P, z: S->I) voxel order: rows = z, columns = y."""
    return reorient(volume, ('L', 'P', 'I'))


def make_lateral_drr(phantom) -> RadiographPhantom:
    """Project a :class:`CTPhantom` into a radiograph phantom with truth."""
    ct = _lateral_axes(phantom.ct)
    bodies = _lateral_axes(phantom.bodies)
    mu = np.clip(ct.data.astype(np.float32) + 1000.0, 0, None) / 1000.0
    line = mu.sum(axis=0) * ct.spacing[0]  # (y, z) mm-weighted
    lo, hi = np.percentile(line, [1, 99.8])
    img = np.clip((line - lo) / max(hi - lo, 1e-6), 0, 1) * 255
    image = np.round(img.T).astype(np.uint8)  # rows = z (S->I), cols = y
    sp_col, sp_row = ct.spacing[1], ct.spacing[2]

    def to_px(world):
        ijk = ct.world_to_voxel(world)
        # voxel index -> COCO pixel coordinate (pixel centre at index + 0.5)
        return np.stack([ijk[:, 1] + 0.5, ijk[:, 2] + 0.5], 1)

    vertebrae = []
    for v in phantom.vertebrae:
        mask = (bodies.data == v.label).any(axis=0).T.astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        outline = max(contours, key=cv2.contourArea)[:, 0].astype(float)
        # contour points are pixel indices; the outline runs on pixel edges
        polygon = outline + 0.5
        vertebrae.append(
            PhantomVertebra(
                level=v.level, keypoints=to_px(v.keypoints), polygon=polygon,
                heights_mm=v.heights_mm, genant_grade=v.genant_grade,
                fracture_type=v.fracture_type, height_loss=v.height_loss))
    assert abs(sp_col - sp_row) < 1e-6, 'the CT phantoms are isotropic'
    return RadiographPhantom(image=image, pixel_spacing=float(sp_col),
                             facing='left', hardware=False,
                             vertebrae=vertebrae)
