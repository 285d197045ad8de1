"""Reorientation and resampling of :class:`Volume` s, with their way back.

Reorientation permutes and flips axes only (no interpolation), so it is exact
and undone by :func:`reorient` to the original codes. Resampling uses
SimpleITK: linear interpolation for images, nearest neighbour for label maps,
with the physical extent kept (the first voxel centre stays where it is).
"""
import numpy as np
from nibabel import orientations as ornt

from .volume import LPS_TO_RAS, Volume


def _sitk():
    """SimpleITK, imported when a volume is resampled: 2D work (the
    detectors, a GPU machine without it) imports spinemm without it."""
    import SimpleITK
    return SimpleITK

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


def axis_affine(codes, spacing):
    """The 4x4 voxel-to-RAS+ affine of a grid whose axes point to ``codes``
    (e.g. ``('I', 'P', 'R')``) with ``spacing`` mm, origin at voxel 0."""
    axis = {'R': 0, 'L': 0, 'A': 1, 'P': 1, 'S': 2, 'I': 2}
    spacing = np.broadcast_to(np.asarray(spacing, float), (3,))
    affine = np.eye(4)
    affine[:3, :3] = 0
    for k, c in enumerate(codes):
        affine[axis[c], k] = spacing[k] * (1 if c in 'RAS' else -1)
    return affine


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
    sitk = _sitk()
    img = sitk.GetImageFromArray(np.ascontiguousarray(volume.data.T))
    return _set_geometry(img, volume.affine)


def _from_sitk(img, meta):
    sitk = _sitk()
    data = sitk.GetArrayFromImage(img).T
    spacing = np.array(img.GetSpacing())
    direction = _LPS_TO_RAS @ np.array(img.GetDirection()).reshape(3, 3)
    affine = np.eye(4)
    affine[:3, :3] = direction * spacing
    affine[:3, 3] = _LPS_TO_RAS @ np.array(img.GetOrigin())
    return Volume(data, affine, meta)


def _same_grid(shape, affine, volume, atol=1e-6):
    return tuple(int(v) for v in shape) == tuple(volume.data.shape) and \
        np.allclose(affine, volume.affine, atol=atol)


def _resample_sitk(volume, ref, is_label):
    """``volume`` onto the SimpleITK grid ``ref``. Integer images are
    interpolated in float and rounded back (SimpleITK would truncate:
    2.9999 -> 2); label maps use nearest neighbour and keep their values."""
    sitk = _sitk()
    src = _to_sitk(volume)
    dtype = volume.data.dtype
    if is_label:
        return sitk.Resample(src, ref, sitk.Transform(),
                             sitk.sitkNearestNeighbor, 0.0, src.GetPixelID())
    if np.issubdtype(dtype, np.integer) or dtype.kind == 'b':
        src = sitk.Cast(src, sitk.sitkFloat64)
        out = sitk.Resample(src, ref, sitk.Transform(), sitk.sitkLinear, 0.0,
                            sitk.sitkFloat64)
        data = np.round(sitk.GetArrayFromImage(out))
        info = None if dtype.kind == 'b' else np.iinfo(dtype)
        if info is not None:
            data = np.clip(data, info.min, info.max)
        img = sitk.GetImageFromArray(data.astype(dtype))
        img.CopyInformation(out)
        return img
    return sitk.Resample(src, ref, sitk.Transform(), sitk.sitkLinear, 0.0,
                         src.GetPixelID())


def resample(volume: Volume, spacing, is_label=False, shape=None) -> Volume:
    """Resample to ``spacing`` (mm along i, j, k, or one number).

    Args:
        is_label: nearest-neighbour interpolation (label maps keep their
            values); otherwise linear (integer images are rounded back to
            their type, never truncated).
        shape: output size; by default the one that covers the same extent.

    Resampling a volume onto its own grid returns its voxels unchanged.
    """
    sitk = _sitk()
    old_spacing = np.array(volume.spacing)
    new_spacing = np.broadcast_to(np.asarray(spacing, float), (3, )).copy()
    if shape is None:
        extent = old_spacing * np.array(volume.data.shape)
        shape = np.maximum(np.round(extent / new_spacing), 1).astype(int)
    affine = volume.affine.copy()
    affine[:3, :3] = affine[:3, :3] / old_spacing * new_spacing
    meta = dict(volume.meta, resampled_from=tuple(old_spacing.tolist()))
    if _same_grid(shape, affine, volume):
        return Volume(volume.data.copy(), volume.affine.copy(), meta)
    ref = _set_geometry(sitk.Image([int(s) for s in shape], sitk.sitkUInt8),
                        affine)
    return _from_sitk(_resample_sitk(volume, ref, is_label), meta)


def world_box(volume: Volume):
    """(min, max) RAS+ corners (mm) of the box spanned by the voxel centres."""
    shape = np.array(volume.data.shape[:3]) - 1
    corners = np.array([[i, j, k] for i in (0, shape[0])
                        for j in (0, shape[1]) for k in (0, shape[2])], float)
    world = volume.voxel_to_world(corners)
    return world.min(0), world.max(0)


def grids_overlap(a: Volume, b: Volume, margin=0.5):
    """True when the voxel-centre boxes of ``a`` and ``b`` intersect (with
    ``margin`` voxel of ``b`` of slack)."""
    amin, amax = world_box(a)
    bmin, bmax = world_box(b)
    slack = margin * max(b.spacing)
    return bool(np.all(amin <= bmax + slack) and np.all(bmin <= amax + slack))


def resample_to(volume: Volume, reference: Volume, is_label=False) -> Volume:
    """``volume`` on ``reference``'s voxel grid, matched by world position.

    Used to bring a segmentation stored in another orientation or grid (e.g.
    RSNA's sagittal NIfTI, a cropped VerSe mask) onto an image's grid; voxels
    outside ``volume`` are 0. Grids that do not overlap in space are an
    error naming both sources (the result would be empty); the same grid
    returns the voxels unchanged.
    """
    sitk = _sitk()
    meta = dict(volume.meta, resampled_to=reference.meta.get('source'))
    shape = reference.data.shape[:3]
    if _same_grid(shape, reference.affine, volume, atol=1e-4):
        return Volume(volume.data.copy(), reference.affine.copy(), meta)
    if not grids_overlap(volume, reference):
        raise ValueError(
            f'{volume.meta.get("source", "volume")} and '
            f'{reference.meta.get("source", "reference")} do not overlap in '
            'space (compare their affines): refusing to resample one onto '
            'the other')
    ref = _set_geometry(sitk.Image([int(s) for s in shape], sitk.sitkUInt8),
                        reference.affine)
    return _from_sitk(_resample_sitk(volume, ref, is_label), meta)
