"""Reorientation and resampling of :class:`Volume` s, with their way back.

Reorientation permutes and flips axes only (no interpolation), so it is exact
and undone by :func:`reorient` to the original codes. Resampling uses
SimpleITK: linear interpolation for images, nearest neighbour for label maps,
with the physical extent kept (the first voxel centre stays where it is).
"""
import numpy as np
import SimpleITK as sitk
from nibabel import orientations as ornt

from .volume import LPS_TO_RAS, Volume

_LPS_TO_RAS = LPS_TO_RAS[:3, :3]


def reorient(volume: Volume, codes=('R', 'A', 'S')) -> Volume:
    """The same voxels with axes permuted/flipped to point to ``codes``."""
    current = ornt.io_orientation(volume.affine)
    target = ornt.axcodes2ornt(tuple(codes))
    transform = ornt.ornt_transform(current, target)
    data = ornt.apply_orientation(volume.data, transform)
    affine = volume.affine @ ornt.inv_ornt_aff(transform, volume.data.shape)
    meta = dict(volume.meta, orientation_from=''.join(volume.orientation))
    return Volume(np.ascontiguousarray(data), affine, meta)


def _set_geometry(img, affine):
    """Give a SimpleITK image (LPS+) the grid of a RAS+ affine."""
    rot_zoom = affine[:3, :3]
    spacing = np.linalg.norm(rot_zoom, axis=0)
    direction_lps = _LPS_TO_RAS @ (rot_zoom / spacing)
    img.SetSpacing([float(s) for s in spacing])
    img.SetDirection([float(v) for v in direction_lps.ravel()])
    img.SetOrigin([float(v) for v in _LPS_TO_RAS @ affine[:3, 3]])
    return img


def _to_sitk(volume):
    img = sitk.GetImageFromArray(np.ascontiguousarray(volume.data.T))
    return _set_geometry(img, volume.affine)


def _from_sitk(img, meta):
    data = sitk.GetArrayFromImage(img).T
    spacing = np.array(img.GetSpacing())
    direction = _LPS_TO_RAS @ np.array(img.GetDirection()).reshape(3, 3)
    affine = np.eye(4)
    affine[:3, :3] = direction * spacing
    affine[:3, 3] = _LPS_TO_RAS @ np.array(img.GetOrigin())
    return Volume(data, affine, meta)


def resample(volume: Volume, spacing, is_label=False, shape=None) -> Volume:
    """Resample to ``spacing`` (mm along i, j, k, or one number).

    Args:
        is_label: nearest-neighbour interpolation (label maps keep their
            values); otherwise linear.
        shape: output size; by default the one that covers the same extent.
    """
    old_spacing = np.array(volume.spacing)
    new_spacing = np.broadcast_to(np.asarray(spacing, float), (3, )).copy()
    if shape is None:
        extent = old_spacing * np.array(volume.data.shape)
        shape = np.maximum(np.round(extent / new_spacing), 1).astype(int)
    src = _to_sitk(volume)
    affine = volume.affine.copy()
    affine[:3, :3] = affine[:3, :3] / old_spacing * new_spacing
    ref = _set_geometry(
        sitk.Image([int(s) for s in shape], src.GetPixelIDValue()), affine)
    interp = sitk.sitkNearestNeighbor if is_label else sitk.sitkLinear
    out = sitk.Resample(src, ref, sitk.Transform(), interp, 0.0,
                        src.GetPixelID())
    meta = dict(volume.meta, resampled_from=tuple(old_spacing.tolist()))
    return _from_sitk(out, meta)


def resample_to(volume: Volume, reference: Volume, is_label=False) -> Volume:
    """``volume`` on ``reference``'s voxel grid, matched by world position.

    Used to bring a segmentation stored in another orientation (e.g. RSNA's
    sagittal NIfTI) onto a DICOM series' grid; voxels outside ``volume`` are 0.
    """
    src = _to_sitk(volume)
    ref = _set_geometry(
        sitk.Image([int(s) for s in reference.data.shape], sitk.sitkUInt8),
        reference.affine)
    interp = sitk.sitkNearestNeighbor if is_label else sitk.sitkLinear
    out = sitk.Resample(src, ref, sitk.Transform(), interp, 0.0,
                        src.GetPixelID())
    return _from_sitk(out, dict(volume.meta, resampled_to=reference.meta.get(
        'source')))
