"""A labelled 3D canvas in world millimetres, painted structure by
structure within each structure's bounding box (the anatomical CT phantom,
:mod:`spinemm.phantoms.ct_anatomy`, draws some hundred structures on a
grid of up to 15 M voxels: full-volume arrays per structure would be too
slow).

Axes are (x, y, z) in RAS+ mm (x to the patient's right, y anterior, z
superior), voxel (i, j, k) centred at ``origin + spacing * (i, j, k)``.
Every paint call writes a template code (:mod:`spinemm.synthesis.
anatomy_codes`) and optionally a tissue kind (:data:`TISSUE`: what the code
alone does not say, e.g. a disc inside the unnamed body) into the voxels
of a mask; later calls overwrite earlier ones.
"""
import numpy as np
from scipy import ndimage

#: tissue kinds inside the body that share one template code
TISSUE = dict(none=0, subcutaneous_fat=1, disc=2, csf=3, gas=4, metal=5,
              fluid=6)


class Canvas:

    def __init__(self, lo_mm, hi_mm, spacing):
        self.spacing = float(spacing)
        self.origin = np.asarray(lo_mm, float)
        shape = np.ceil((np.asarray(hi_mm, float) - self.origin)
                        / self.spacing).astype(int) + 1
        self.shape = tuple(int(s) for s in shape)
        self.codes = np.zeros(self.shape, np.uint8)
        self.tissue = np.zeros(self.shape, np.uint8)

    # --- coordinates ---------------------------------------------------
    def box(self, lo_mm, hi_mm):
        """Slices of the voxels inside [lo_mm, hi_mm] and their open-mesh
        world coordinates (X, Y, Z); None when the box misses the canvas."""
        lo = np.floor((np.asarray(lo_mm) - self.origin) / self.spacing)
        hi = np.ceil((np.asarray(hi_mm) - self.origin) / self.spacing) + 1
        lo = np.maximum(lo.astype(int), 0)
        hi = np.minimum(hi.astype(int), self.shape)
        if np.any(hi <= lo):
            return None
        sl = tuple(slice(a, b) for a, b in zip(lo, hi))
        axes = [self.origin[d] + self.spacing * np.arange(lo[d], hi[d])
                for d in range(3)]
        return sl, np.ix_(*axes)

    def world(self, ijk):
        return self.origin + self.spacing * np.asarray(ijk, float)

    def z_of(self, k):
        return self.origin[2] + self.spacing * k

    def affine(self):
        a = np.diag([self.spacing] * 3 + [1.0])
        a[:3, 3] = self.origin
        return a

    # --- painting ------------------------------------------------------
    def paint(self, sl, mask, code, tissue=0, only=None):
        """Write ``code`` (and ``tissue``) where ``mask`` (over ``sl``);
        ``only``: a set of codes that may be overwritten (default any)."""
        mask = np.broadcast_to(mask, tuple(s.stop - s.start for s in sl))
        if only is not None:
            mask = mask & np.isin(self.codes[sl], list(only))
        if code is not None:  # None: the tissue kind only (metal in bone)
            self.codes[sl][mask] = code
        self.tissue[sl][mask] = tissue

    def ellipsoid(self, centre, radii, code, tissue=0, only=None, keep=None):
        """An axis-aligned ellipsoid; ``keep(X, Y, Z)`` trims it."""
        c, r = np.asarray(centre, float), np.asarray(radii, float)
        got = self.box(c - r, c + r)
        if got is None:
            return
        sl, (X, Y, Z) = got
        mask = ((X - c[0]) / r[0])**2 + ((Y - c[1]) / r[1])**2 + \
            ((Z - c[2]) / r[2])**2 <= 1.0
        if keep is not None:
            mask = mask & keep(X, Y, Z)
        self.paint(sl, mask, code, tissue, only)

    def tube(self, points, radius, code, tissue=0, only=None):
        """Every voxel within ``radius`` mm of the polyline ``points``
        (N, 3 mm), resampled at a quarter voxel."""
        pts = _resample(np.asarray(points, float), self.spacing / 4)
        got = self.box(pts.min(0) - radius - self.spacing,
                       pts.max(0) + radius + self.spacing)
        if got is None:
            return
        sl, _ = got
        shape = tuple(s.stop - s.start for s in sl)
        start = np.array([s.start for s in sl])
        idx = np.round((pts - self.origin) / self.spacing).astype(int) - start
        idx = idx[np.all((idx >= 0) & (idx < shape), axis=1)]
        if not len(idx):
            return
        seed = np.ones(shape, bool)
        seed[tuple(idx.T)] = False
        dist = ndimage.distance_transform_edt(seed, sampling=self.spacing)
        self.paint(sl, dist <= radius, code, tissue, only)


def _resample(points, step):
    out = [points[:1]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        out.append(a + (b - a) * (np.arange(1, n + 1) / n)[:, None])
    return np.concatenate(out)


__all__ = ['Canvas', 'TISSUE']
