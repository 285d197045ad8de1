"""The spinal column of the anatomical CT phantom: which levels it has
(with the transitional variants), their sizes, and where each lies along a
curved centreline (lordosis, kyphosis, scoliosis).

Sizes are adult means rounded from the morphometry literature (vertebral
body height, depth and width: Panjabi et al., Spine 1991 (cervical), 1991
(thoracic) and 1992 (lumbar); canal diameters from the same series; disc
heights after Pfirrmann et al., Spine 2006), interpolated between the
first and last level of a region and scaled per phantom.
"""
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..anatomy import VERSE_LEVELS

#: region -> per-level values at its first and last level:
#: body height h, depth d (antero-posterior), width (lateral), disc below,
#: canal radii (antero-posterior, lateral), arch thickness, spinous process
#: length and downward angle (degrees), transverse process length and
#: backward angle
_REGION = {
    'C': dict(first=3, last=7, h=(14, 15), d=(16, 17), width=(20, 25),
              disc=(5, 5), canal=((7, 12), (7, 11)), arch=(4, 4.5),
              sp=((14, 30), (20, 25)), tp=((10, 12), (-10, 0))),
    'T': dict(first=1, last=12, h=(17, 24), d=(17, 30), width=(28, 40),
              disc=(4, 7), canal=((7.5, 8.5), (8, 9)), arch=(5, 6),
              sp=((35, 32), (35, 25)), tp=((22, 10), (30, 35))),
    'L': dict(first=1, last=5, h=(26, 27), d=(31, 35), width=(42, 50),
              disc=(9, 11), canal=((8.5, 12), (9, 12)), arch=(7, 7),
              sp=((30, 28), (5, 0)), tp=((18, 22), (10, 10))),
}

#: the column variants: thoracic and lumbar counts and rib pairs
VARIANTS = {
    'normal': dict(thoracic=12, lumbar=5, ribs=12),
    'T13': dict(thoracic=13, lumbar=5, ribs=13),   # 13 rib-bearing vertebrae
    'L6': dict(thoracic=12, lumbar=6, ribs=12),    # a sixth lumbar vertebra
    '11ribs': dict(thoracic=12, lumbar=5, ribs=11),  # T12 without ribs
}


@dataclass
class Level:
    name: str        # C1 .. L6, T13
    label: int       # VerSe label
    h: float
    d: float
    width: float
    disc: float      # disc below (mm)
    canal: tuple     # radii (AP, lateral)
    arch: float
    sp: tuple        # spinous process (length, angle)
    tp: tuple        # transverse process (length, angle)
    s: float = 0.0   # arc length of the body centre from the top of C1


def _interp(region, key, index):
    r = _REGION[region]
    f = (index - r['first']) / (r['last'] - r['first'])
    lo, hi = r[key]
    if isinstance(lo, tuple):
        return tuple(a + f * (b - a) for a, b in zip(lo, hi))
    return lo + f * (hi - lo)


def level_names(variant='normal'):
    v = VARIANTS[variant]
    names = [f'C{i}' for i in range(1, 8)]
    names += [f'T{i}' for i in range(1, v['thoracic'] + 1)]
    names += [f'L{i}' for i in range(1, v['lumbar'] + 1)]
    return names


def verse_label(name):
    return next(k for k, v in VERSE_LEVELS.items() if v == name)


def make_levels(variant, rng, scale=1.0):
    """The column's :class:`Level` list, head to foot, with arc-length
    centres; C1 (a ring) and C2 (body + dens) get cervical values."""
    out = []
    s = 0.0
    for name in level_names(variant):
        region, index = name[0], int(name[1:])
        if name == 'T13':
            region, index = 'T', 12
        elif name == 'L6':
            region, index = 'L', 5
        elif region == 'C' and index < 3:
            index = 3
        vals = {k: _interp(region, k, index)
                for k in ('h', 'd', 'width', 'disc', 'arch')}
        jitter = rng.uniform(0.97, 1.03, 3) * scale
        h, d, width = (vals[k] * j for k, j in zip(('h', 'd', 'width'),
                                                   jitter))
        lv = Level(name, verse_label(name), h, d, width, vals['disc'] * scale,
                   tuple(c * scale for c in _interp(region, 'canal', index)),
                   vals['arch'] * scale,
                   (_interp(region, 'sp', index)[0] * scale,
                    _interp(region, 'sp', index)[1]),
                   (_interp(region, 'tp', index)[0] * scale,
                    _interp(region, 'tp', index)[1]))
        if name == 'C1':  # a ring 10 mm high, 2 mm above C2's body
            lv.h, lv.disc = 10.0 * scale, 2.0 * scale
            lv.tp = (16.0 * scale, 0.0)
        elif name == 'C2':
            lv.h = 20.0 * scale
        lv.s = s + lv.h / 2
        s += lv.h + lv.disc
        out.append(lv)
    return out


class Centreline:
    """The column's axis as a function of arc length ``s`` (mm from the top
    of C1, increasing towards the feet): x (scoliosis) and y (sagittal
    curves) are drawn as smooth bumps over the cervical, thoracic and
    lumbar spans, z follows from unit speed."""

    def __init__(self, levels, rng, step=0.5, lordosis=None, kyphosis=None,
                 scoliosis=None):
        by = {lv.name: lv for lv in levels}
        s_t1, s_l1 = by['T1'].s, by['L1'].s
        s_end = levels[-1].s + levels[-1].h / 2 + levels[-1].disc
        self.s = np.arange(-120.0, s_end + 260.0, step)
        s = self.s
        amp_c = rng.uniform(3, 12)
        amp_t = rng.uniform(10, 35) if kyphosis is None else kyphosis
        amp_l = rng.uniform(8, 25) if lordosis is None else lordosis
        y = np.zeros_like(s)
        for a, lo, hi in ((amp_c, 0.0, s_t1), (-amp_t, s_t1, s_l1),
                          (amp_l, s_l1, s_end)):
            inside = (s >= lo) & (s <= hi)
            y[inside] += a * np.sin(np.pi * (s[inside] - lo) / (hi - lo))
        if scoliosis is None:
            scoliosis = rng.uniform(10, 30) if rng.random() < 0.3 \
                else rng.uniform(0, 4)
        lo = rng.uniform(s_t1, s_l1)
        hi = rng.uniform(lo + 120, s_end + 60)
        x = np.zeros_like(s)
        inside = (s >= lo) & (s <= hi)
        x[inside] = scoliosis * np.sin(np.pi * (s[inside] - lo) / (hi - lo)) \
            * rng.choice([-1, 1])
        sigma = 15.0 / step
        x, y = ndimage.gaussian_filter1d(x, sigma), \
            ndimage.gaussian_filter1d(y, sigma)
        dx, dy = np.gradient(x, step), np.gradient(y, step)
        dz = -np.sqrt(np.clip(1 - dx**2 - dy**2, 0.5, 1.0))
        z = np.concatenate([[0.0], np.cumsum((dz[1:] + dz[:-1]) / 2 * step)])
        z -= np.interp(0.0, s, z)
        self.xyz = np.stack([x, y, z], 1)
        t = np.stack([dx, dy, dz], 1)
        self.tangent = t / np.linalg.norm(t, axis=1, keepdims=True)

    def at(self, s):
        """Point (3,) on the axis at arc length ``s``."""
        return np.array([np.interp(s, self.s, self.xyz[:, k])
                         for k in range(3)])

    def frame(self, s):
        """Unit vectors (w: to the right, v: anterior, u: up the column) of
        the local frame at ``s``."""
        t = np.array([np.interp(s, self.s, self.tangent[:, k])
                      for k in range(3)])
        u = -t / np.linalg.norm(t)
        v = np.array([0.0, 1.0, 0.0]) - u[1] * u
        v /= np.linalg.norm(v)
        return np.cross(v, u), v, u

    def at_z(self, z):
        """(x, y) of the axis at height ``z`` (array)."""
        zz = self.xyz[::-1, 2]
        return (np.interp(z, zz, self.xyz[::-1, 0]),
                np.interp(z, zz, self.xyz[::-1, 1]))


__all__ = ['Level', 'VARIANTS', 'level_names', 'verse_label', 'make_levels',
           'Centreline']
