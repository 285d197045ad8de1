"""How well a spine localizer finds the spine: centreline error (mm) and
whether its crop holds every vertebra.

The centreline of a binary spine mask is, for each axial plane (world S)
it covers, the centre of the mask's voxels in that plane; the error of a
predicted centreline is the mean (and max) in-plane distance to the true
one over the planes both cover. Both masks are taken in world mm, so the
localizer's coarse grid and the truth's fine one compare directly.
"""
import numpy as np

from ..io import Volume, reorient


def centreline(mask: Volume, plane_mm=4.0):
    """``{z bin: (x, y) world mm}``: the centre of the mask's voxels in
    each ``plane_mm`` thick axial slab (world S)."""
    idx = np.argwhere(np.asarray(mask.data) > 0)
    if not len(idx):
        return {}
    world = mask.voxel_to_world(idx)
    bins = np.floor(world[:, 2] / plane_mm).astype(int)
    out = {}
    for b in np.unique(bins):
        sel = bins == b
        out[int(b)] = world[sel, :2].mean(0)
    return out


def centreline_error(pred: Volume, truth: Volume, plane_mm=4.0):
    """dict(mean_mm, max_mm, planes (compared), missed (true planes the
    prediction lacks)); nan errors when no plane is shared."""
    p, t = centreline(pred, plane_mm), centreline(truth, plane_mm)
    common = sorted(set(p) & set(t))
    d = [float(np.linalg.norm(p[b] - t[b])) for b in common]
    return dict(mean_mm=float(np.mean(d)) if d else float('nan'),
                max_mm=float(np.max(d)) if d else float('nan'),
                planes=len(common), missed=len(set(t) - set(p)))


def crop_coverage(truth: Volume, grid: Volume, crop):
    """Fraction of the truth's vertebra voxels (taken to world mm) that lie
    inside ``crop`` (slices of ``grid``, the segmentation grid), and the
    fraction of ``grid`` the crop covers."""
    idx = np.argwhere(np.asarray(truth.data) > 0)
    if not len(idx):
        return dict(inside=float('nan'), volume_fraction=float('nan'))
    vox = grid.world_to_voxel(truth.voxel_to_world(idx))
    lo = np.array([s.start for s in crop]) - 0.5
    hi = np.array([s.stop for s in crop]) - 0.5
    inside = np.all((vox >= lo) & (vox <= hi), axis=1).mean()
    size = np.prod([s.stop - s.start for s in crop])
    return dict(inside=float(inside),
                volume_fraction=float(size / np.prod(grid.data.shape)))


__all__ = ['centreline', 'centreline_error', 'crop_coverage', 'reorient']
