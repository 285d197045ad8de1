"""CT spine phantoms in Hounsfield units with VerSe-numbered labels.

The column runs along the volume's superior axis with a smooth sagittal and
coronal curve. Each vertebra is a body (elliptic cross-section, endplates from
three heights as in the radiograph phantoms, a cortical shell brighter than the
trabecular core) plus a posterior arch and spinous process around the spinal
canal; discs sit between bodies; soft tissue, fat and air surround it. Labels
follow VerSe (1-7 C, 8-19 T, 20-24 L). Ground truth per vertebra: level,
Genant grade and type, heights (mm), body centroid and the six height
keypoints in the mid-sagittal plane (world RAS+ mm).
"""
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from ..anatomy import KEYPOINT_NAMES, TYPICAL_LEVELS
from ..formats.verse import LEVEL_TO_VERSE
from ..io.volume import Volume
from .radiograph import (_draw_fracture, _endplate, _heights, _level_dims,
                         _stack_bodies)

HU = dict(air=-1000, fat=-100, soft=40, disc=80, canal=20, trabecular=220,
          cortical=750)


def _draw_cleft(ct, body, u, v, w, half_depth, rng):
    """A fracture plane through ``body``: soft tissue in a ~1.5 mm cleft,
    compacted bone (+300 HU) in a band beside it."""
    theta = rng.uniform(0, np.pi)
    normal = np.array([np.cos(theta), np.sin(theta), rng.uniform(-0.4, 0.4)])
    normal /= np.linalg.norm(normal)
    offset = rng.uniform(-0.35, 0.35) * half_depth
    dist = np.abs(v * normal[0] + w * normal[1] + u * normal[2] - offset)
    ct[body & (dist < 2.5) & (dist >= 0.75)] += 300
    ct[body & (dist < 0.75)] = HU['soft'] + 20


@dataclass
class CTVertebra:
    level: str
    label: int
    genant_grade: int
    fracture_type: Optional[str]
    height_loss: float
    heights_mm: dict
    centroid: np.ndarray  # world RAS+ mm, body centre
    keypoints: np.ndarray  # (6, 3) world RAS+ mm, KEYPOINT_NAMES order


@dataclass
class CTPhantom:
    ct: Volume  # int16 HU
    labels: Volume  # uint8 VerSe labels (whole vertebra)
    bodies: Volume  # uint8 VerSe labels of the vertebral bodies only
    vertebrae: List[CTVertebra] = field(default_factory=list)


def make_ct_phantom(seed: int, num_vertebrae=(4, 7), spacing=1.5,
                    fracture_prob=0.25, levels=None,
                    fracture_lines=False) -> CTPhantom:
    """Draw one CT phantom; the same seed gives the same one.

    The volumes have a diagonal affine: orientation ('R', 'A', 'S'), isotropic
    ``spacing`` mm, world coordinates in RAS+ mm (x to the patient's right, y
    anterior, z superior). ``levels`` (superior first, e.g. C1..T1) replaces
    the random run of ``num_vertebrae`` consecutive levels; C1 and C2 are
    drawn as small cervical bodies (no dens or ring).

    ``fracture_lines=True`` also draws what a radiologist sees of a fracture
    in an axial slice, not only its height loss: a fracture cleft (a plane of
    soft-tissue density, about 1.5 mm wide, steep so that it crosses every
    axial slice of the body, breaking the cortical shell) with a band of
    compacted, denser trabecular bone on either side. Its draws come from a
    second generator, so the rest of the phantom is the same either way.
    """
    rng = np.random.default_rng(seed)
    if levels is None:
        n = int(rng.integers(num_vertebrae[0], num_vertebrae[1] + 1))
        start = int(rng.integers(0, len(TYPICAL_LEVELS) - n + 1))
        levels = TYPICAL_LEVELS[start:start + n]
    levels = list(levels)[::-1]  # inferior -> superior
    n = len(levels)
    dims = [_level_dims(lv) * rng.uniform(0.96, 1.04, 3) for lv in levels]
    grades, types = _draw_fracture(rng, n, fracture_prob)
    heights = [_heights(d, g, t, rng) for d, g, t in zip(dims, grades, types)]

    # body centres along z (mm), inferior first, then the volume around them
    z, length = _stack_bodies(heights, [d[2] for d in dims[1:]], margin=10)
    depth_max = max(d[1] for d in dims)
    size_mm = np.array([depth_max * 2.6, depth_max * 3.2, length])
    shape = np.ceil(size_mm / spacing).astype(int)
    axes = [(np.arange(s) + 0.5) * spacing - m / 2
            for s, m in zip(shape, size_mm)]
    axes[2] = axes[2] + size_mm[2] / 2  # z from 0 (inferior) upwards
    X, Y, Z = np.meshgrid(*axes, indexing='ij')

    amp_x, amp_y = rng.uniform(-8, 8), rng.uniform(-10, 10)
    phase = rng.uniform(0, np.pi)

    def centre(zz):  # spine axis position (x, y) at height zz
        s = np.sin(np.pi * zz / length + phase)
        return amp_x * s, amp_y * s - depth_max * 0.3

    ct = np.full(shape, HU['air'], np.float32)
    body_r = np.hypot(X / (size_mm[0] * 0.46), Y / (size_mm[1] * 0.40))
    ct[body_r < 1.0] = HU['fat']
    ct[body_r < 0.9] = HU['soft']
    labels = np.zeros(shape, np.uint8)
    bodies = np.zeros(shape, np.uint8)
    cx, cy = centre(Z)
    dx, dy = X - cx, Y - cy
    # discs: a soft cylinder along the whole column, bodies drawn over it
    disc_r = np.hypot(dx / (dims[0][1] * 0.5), dy / (dims[0][1] * 0.5))
    in_column = (Z > z[0]) & (Z < z[-1])
    ct[(disc_r < 1.0) & in_column] = HU['disc']

    vertebrae = []
    line_rng = np.random.default_rng([seed, 1])
    for i, level in enumerate(levels):
        ha, hm, hp, loss = heights[i]
        depth = dims[i][1]
        width = depth * 1.25
        label = LEVEL_TO_VERSE[level]
        # local frame: u up the spine, v anterior (+y in RAS), w lateral
        u, v, w = Z - z[i], dy, dx
        d = depth / 2
        top = _endplate(np.clip(v, -d, d), ha / 2, hm / 2, hp / 2, d)
        bottom = _endplate(np.clip(v, -d, d), -ha / 2, -hm / 2, -hp / 2, d)
        radial = np.hypot(v / d, w / (width / 2))
        body = (radial <= 1.0) & (u <= top) & (u >= bottom)
        shell = body & ((radial > 0.85) | (u > top - 1.2) | (u < bottom + 1.2))
        ct[body] = HU['trabecular'] + rng.normal(0, 25, body.sum())
        ct[shell] = HU['cortical']
        # posterior arch around the canal, and the spinous process
        canal_c = -d - depth * 0.35
        ring = np.hypot((v - canal_c) / (depth * 0.45), w / (depth * 0.55))
        in_level = np.abs(u) < hp * 0.35
        arch = in_level & (ring < 1.0) & (ring > 0.6)
        canal = in_level & (ring <= 0.6)
        spine = (np.abs(u) < hp * 0.2) & (np.abs(w) < 3) & \
            (v < canal_c - depth * 0.4) & (v > canal_c - depth * 1.1)
        if fracture_lines and grades[i]:
            _draw_cleft(ct, body, u, v, w, d, line_rng)
        ct[arch | spine] = HU['cortical'] * 0.8
        ct[canal] = HU['canal']
        labels[body | arch | spine] = label
        bodies[body] = label
        # truth in world mm (mid-sagittal plane: w = 0)
        cxi, cyi = centre(z[i])
        pts = {
            'bottom_left': (d, -ha / 2), 'bottom_middle': (0, -hm / 2),
            'bottom_right': (-d, -hp / 2), 'top_right': (-d, hp / 2),
            'top_middle': (0, hm / 2), 'top_left': (d, ha / 2)
        }
        kps = np.array([[cxi, cyi + pts[k][0], z[i] + pts[k][1]]
                        for k in KEYPOINT_NAMES])
        vertebrae.append(
            CTVertebra(level=level, label=label,
                       genant_grade=int(grades[i]),
                       fracture_type=types[i], height_loss=float(loss),
                       heights_mm=dict(anterior=ha, middle=hm, posterior=hp),
                       centroid=np.array([cxi, cyi, z[i]]),
                       keypoints=kps))
    ct += rng.normal(0, 15, ct.shape).astype(np.float32)
    affine = np.diag([spacing, spacing, spacing, 1.0])
    affine[:3, 3] = [a[0] for a in axes]
    return CTPhantom(
        ct=Volume(np.round(ct).astype(np.int16), affine.copy()),
        labels=Volume(labels, affine.copy()),
        bodies=Volume(bodies, affine.copy()),
        vertebrae=vertebrae[::-1])
