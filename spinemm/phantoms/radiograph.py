"""Lateral spine radiograph phantoms with exact ground truth.

A phantom is a curved column of vertebral bodies drawn on a soft-tissue
background. Geometry is built in millimetres in each vertebra's own frame
(``u`` along the spine towards the head, ``v`` towards the anterior side) and
then placed on the image, so every vertebra's six keypoints, outline polygon,
box and heights are known exactly, in pixels and in millimetres.

Fractures are drawn by shortening heights: a *wedge* fracture shortens the
anterior height, a *biconcave* one the middle height, a *crush* one the whole
body (posterior height included, compared with the neighbours). The height loss
is drawn inside the band of a chosen Genant grade, away from the band's edges.
"""
from dataclasses import dataclass, field
from typing import List, Optional

import cv2
import numpy as np

from ..anatomy import FRACTURE_TYPES, TYPICAL_LEVELS, genant_grade

# Nominal body height, anterior-posterior depth and disc height (mm) of the
# first and last level of each region; levels in between are interpolated.
_REGION_DIMS = {
    'C': ((14.0, 15.5, 5.0), (14.5, 17.0, 5.5)),
    'T': ((16.5, 20.0, 4.5), (24.0, 33.0, 7.0)),
    'L': ((26.0, 36.0, 9.0), (27.5, 44.0, 11.0)),
}
# Height-loss bands (fraction) drawn for grades 1-3, inside Genant's bands
# (20-25 %, 25-40 %, > 40 %) with a margin so that the grade is unambiguous.
_GRADE_BANDS = {1: (0.21, 0.24), 2: (0.27, 0.38), 3: (0.42, 0.55)}
_SUPERSAMPLE = 2
_ENDPLATE_SAMPLES = 9


@dataclass
class PhantomVertebra:
    """Ground truth of one vertebral body (image coordinates are pixels)."""
    level: str
    keypoints: np.ndarray  # (6, 2) x, y in KEYPOINT_NAMES order
    polygon: np.ndarray  # (K, 2) closed outline through all six keypoints
    heights_mm: dict  # {'anterior', 'middle', 'posterior'}
    genant_grade: int
    fracture_type: Optional[str]  # None for grade 0
    height_loss: float

    @property
    def bbox_xyxy(self) -> np.ndarray:
        return np.concatenate([self.polygon.min(0), self.polygon.max(0)])


@dataclass
class RadiographPhantom:
    """A phantom image and its ground truth."""
    image: np.ndarray  # (H, W) uint8
    pixel_spacing: float  # mm per pixel (isotropic)
    facing: str  # 'left' or 'right': the side the patient's anterior is on
    hardware: bool
    vertebrae: List[PhantomVertebra] = field(default_factory=list)


def _level_dims(level: str) -> np.ndarray:
    region, index = level[0], int(level[1:])
    first, last = {'C': (3, 7), 'T': (1, 12), 'L': (1, 5)}[region]
    frac = (index - first) / (last - first)
    lo, hi = (np.array(d) for d in _REGION_DIMS[region])
    return lo + frac * (hi - lo)


def _endplate(v: np.ndarray, ant: float, mid: float, post: float,
              half_depth: float) -> np.ndarray:
    """u(v) of the parabola through (+d, ant), (0, mid), (-d, post)."""
    a = (ant + post - 2 * mid) / (2 * half_depth**2)
    b = (ant - post) / (2 * half_depth)
    return a * v**2 + b * v + mid


def _body_outline(ha, hm, hp, depth):
    """Outline (u, v) in mm, starting at top_left, and the six keypoints."""
    d = depth / 2
    v = np.linspace(d, -d, _ENDPLATE_SAMPLES)  # anterior -> posterior
    top = np.stack([_endplate(v, ha / 2, hm / 2, hp / 2, d), v], 1)
    bottom = np.stack([_endplate(v, -ha / 2, -hm / 2, -hp / 2, d), v], 1)
    # anterior wall bows slightly inwards, as real bodies do
    t = np.linspace(0, 1, 5)[1:-1]
    ant_u = -ha / 2 + t * ha
    ant = np.stack([ant_u, d - 0.04 * depth * np.sin(np.pi * t)], 1)
    outline = np.concatenate([top, bottom[::-1], ant])
    mid = _ENDPLATE_SAMPLES // 2
    keypoints = np.stack([
        bottom[0], bottom[mid], bottom[-1],  # bottom_left/middle/right
        top[-1], top[mid], top[0],  # top_right/middle/left
    ])
    return outline, keypoints


def _stack_bodies(heights, gaps, margin=0.0):
    """Centre of each body along the column (mm, inferior first) and the
    column's length, with ``gaps`` (discs) between bodies and ``margin`` at
    both ends. A body's extent is its larger of anterior/posterior height."""
    half = [max(h[0], h[2]) / 2 for h in heights]
    centres = [margin + half[0]]
    for i in range(1, len(heights)):
        centres.append(centres[-1] + half[i - 1] + gaps[i - 1] + half[i])
    return centres, centres[-1] + half[-1] + margin


def _centreline(total_len, rng, n_steps=400):
    """Points and unit tangents (towards the head) of a smooth curve (mm)."""
    s = np.linspace(0, total_len, n_steps)
    tilt = rng.uniform(-0.15, 0.15)
    amp = rng.uniform(0.05, 0.25)
    freq = rng.uniform(0.6, 1.4)
    phase = rng.uniform(0, 2 * np.pi)
    # angle from the image's up direction; x grows to the right
    theta = tilt + amp * np.sin(2 * np.pi * freq * s / total_len + phase)
    ds = s[1] - s[0]
    xy = np.zeros((n_steps, 2))
    xy[1:, 0] = np.cumsum(np.sin(theta[:-1]) * ds)
    xy[1:, 1] = -np.cumsum(np.cos(theta[:-1]) * ds)
    tangents = np.stack([np.sin(theta), -np.cos(theta)], 1)
    return s, xy, tangents


def _draw_fracture(rng, n, fracture_prob):
    """Grades and types per vertebra; fractured vertebrae are never adjacent."""
    grades = np.zeros(n, int)
    types = [None] * n
    for i in rng.permutation(n):
        if rng.random() >= fracture_prob:
            continue
        if (i > 0 and grades[i - 1]) or (i + 1 < n and grades[i + 1]):
            continue
        grades[i] = rng.integers(1, 4)
        types[i] = FRACTURE_TYPES[rng.integers(len(FRACTURE_TYPES))]
    return grades, types


def _heights(dims, grade, ftype, rng):
    """Anterior, middle, posterior heights (mm) and the true height loss."""
    h = dims[0]
    # normal bodies: small wedging and endplate concavity, both < 8 % loss
    hp = h
    ha = h * rng.uniform(0.94, 1.0)
    hm = min(ha, hp) * rng.uniform(0.95, 0.99)
    loss = 1 - min(ha, hm) / hp
    if grade:
        loss = rng.uniform(*_GRADE_BANDS[grade])
        if ftype == 'wedge':
            ha = hp * (1 - loss)
            hm = (ha + hp) / 2 * 0.98
        elif ftype == 'biconcave':
            ha = hp * rng.uniform(0.97, 1.0)
            hm = hp * (1 - loss)
        else:  # crush: the whole body loses height against its neighbours
            ha, hm, hp = (x * (1 - loss) for x in (ha, hm, hp))
    assert genant_grade(loss) == grade
    return ha, hm, hp, loss


def _to_canvas(points_px):
    """COCO pixel coordinates (pixel i spans [i, i+1)) -> supersampled
    canvas coordinates of OpenCV (pixel j is centred on j)."""
    return points_px * _SUPERSAMPLE - 0.5


def _fill(canvas, polygon_px, value):
    pts = np.round(_to_canvas(polygon_px) * 16).astype(np.int32)
    cv2.fillPoly(canvas, [pts], float(value), lineType=cv2.LINE_8, shift=4)


def make_radiograph_phantom(seed: int,
                            image_size: int = 256,
                            num_vertebrae=(5, 17),
                            fracture_prob: float = 0.15,
                            hardware_prob: float = 0.1) -> RadiographPhantom:
    """Draw one lateral radiograph phantom; the same seed gives the same one.

    Args:
        seed: random seed of this image.
        image_size: side of the square image in pixels.
        num_vertebrae: inclusive range of the number of vertebral bodies.
        fracture_prob: chance that a vertebra is drawn fractured (fractured
            vertebrae are never adjacent, so neighbours stay a valid reference).
        hardware_prob: chance that the image holds bright metal (pedicle
            screws and a rod), SpineTK's ``hardware`` stratum.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(num_vertebrae[0], num_vertebrae[1] + 1))
    n = min(n, len(TYPICAL_LEVELS))
    start = int(rng.integers(0, len(TYPICAL_LEVELS) - n + 1))
    levels = TYPICAL_LEVELS[start:start + n][::-1]  # inferior -> superior
    scale = rng.uniform(0.9, 1.1)
    dims = [_level_dims(lv) * scale * rng.uniform(0.96, 1.04, 3) for lv in levels]
    grades, types = _draw_fracture(rng, n, fracture_prob)
    heights = [_heights(d, g, t, rng) for d, g, t in zip(dims, grades, types)]

    # arc-length position of each body centre (mm), inferior first
    centres, total = _stack_bodies(heights, [d[2] for d in dims[1:]])
    s, line, tangents = _centreline(total, rng)

    facing = 'left' if rng.random() < 0.5 else 'right'
    outlines_mm, keypoints_mm, frames = [], [], []
    for i in range(n):
        k = min(np.searchsorted(s, centres[i]), len(s) - 1)
        c, t = line[k], tangents[k]
        # anterior normal: t rotated towards the side the patient faces
        nrm = np.array([t[1], -t[0]]) if facing == 'left' else np.array(
            [-t[1], t[0]])
        ha, hm, hp, _ = heights[i]
        outline, kps = _body_outline(ha, hm, hp, dims[i][1])
        to_xy = lambda uv: c + uv[:, :1] * t + uv[:, 1:] * nrm  # noqa: E731
        outlines_mm.append(to_xy(outline))
        keypoints_mm.append(to_xy(kps))
        frames.append((c, t, nrm, dims[i][1], hp))

    # millimetres -> pixels: fit the column into the image with a margin
    all_pts = np.concatenate(outlines_mm)
    extent = all_pts.max(0) - all_pts.min(0)
    spacing = float(extent.max() / (image_size * rng.uniform(0.62, 0.85)))
    free = image_size - extent / spacing
    offset = free * rng.uniform(0.3, 0.7, 2) - all_pts.min(0) / spacing

    def px(p):
        return p / spacing + offset

    hardware = bool(rng.random() < hardware_prob)
    image = _render(rng, image_size, [px(o) for o in outlines_mm], frames, px,
                    spacing, hardware)
    vertebrae = []
    for i in range(n):
        ha, hm, hp, loss = heights[i]
        vertebrae.append(
            PhantomVertebra(
                level=levels[i],
                keypoints=px(keypoints_mm[i]),
                polygon=px(outlines_mm[i]),
                heights_mm=dict(anterior=ha, middle=hm, posterior=hp),
                genant_grade=int(grades[i]),
                fracture_type=types[i],
                height_loss=float(loss)))
    return RadiographPhantom(
        image=image,
        pixel_spacing=spacing,
        facing=facing,
        hardware=hardware,
        vertebrae=vertebrae[::-1])  # superior first, as a reader scans


def _render(rng, size, outlines_px, frames, px, spacing, hardware):
    """Paint background, discs, posterior elements, bodies, metal, noise."""
    big = size * _SUPERSAMPLE
    yy, xx = np.mgrid[0:big, 0:big] / big
    bg = rng.uniform(35, 70)
    canvas = (bg + rng.uniform(-20, 20) * xx + rng.uniform(-20, 20) * yy)
    low = cv2.resize(rng.normal(0, 1, (6, 6)), (big, big),
                     interpolation=cv2.INTER_CUBIC)
    canvas = (canvas + 8 * low).astype(np.float32)

    disc_val = bg + rng.uniform(15, 35)
    post_val = bg + rng.uniform(25, 50)
    body_val = bg + rng.uniform(55, 90)
    rim_val = body_val + rng.uniform(30, 60)
    # discs: between one body's superior and the next body's inferior endplate
    k = _ENDPLATE_SAMPLES
    for lower, upper in zip(outlines_px[:-1], outlines_px[1:]):
        disc = np.concatenate([lower[:k], upper[k:2 * k]])
        _fill(canvas, disc, disc_val)
    # posterior elements: a faint block behind each body
    for c, t, nrm, depth, hp in frames:
        u = np.array([-0.35, 0.35, 0.35, -0.35])[:, None] * hp
        v = np.array([-0.5, -0.5, -1.2, -1.2])[:, None] * depth
        _fill(canvas, px(c + u * t + v * nrm), post_val)
    rim_px = max(1, int(round(1.3 / spacing * _SUPERSAMPLE)))
    kernel = np.ones((2 * rim_px + 1, 2 * rim_px + 1), np.uint8)
    for outline in outlines_px:
        # work in the body's own window of the canvas (a view, so writes land)
        x0, y0 = np.maximum(np.floor(outline.min(0) - 2).astype(int), 0)
        x1, y1 = np.ceil(outline.max(0) + 2).astype(int)
        roi = canvas[y0 * _SUPERSAMPLE:y1 * _SUPERSAMPLE,
                     x0 * _SUPERSAMPLE:x1 * _SUPERSAMPLE]
        mask = np.zeros(roi.shape, np.uint8)
        _fill(mask, outline - [x0, y0], 1)
        inner = cv2.erode(mask, kernel)
        roi[mask > 0] = rim_val
        trabecular = body_val + rng.normal(0, 6, roi.shape)
        roi[inner > 0] = trabecular[inner > 0]
    if hardware:
        _draw_hardware(rng, canvas, frames, px)
    img = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 0.9))
    img = img + rng.normal(0, rng.uniform(2, 7), img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_hardware(rng, canvas, frames, px):
    """Pedicle screws in 2-4 consecutive bodies joined by a rod."""
    n = len(frames)
    count = min(n, int(rng.integers(2, 5)))
    first = int(rng.integers(0, n - count + 1))
    heads = []
    for c, t, nrm, depth, hp in frames[first:first + count]:
        u = np.array([-0.08, 0.08, 0.08, -0.08])[:, None] * hp
        v = np.array([0.3, 0.3, -1.0, -1.0])[:, None] * depth
        _fill(canvas, px(c + u * t + v * nrm), 250)
        heads.append(px(c - 1.0 * depth * nrm))
    rod = _to_canvas(np.array(heads))
    cv2.polylines(canvas, [np.round(rod).astype(np.int32)], False, 245,
                  thickness=3 * _SUPERSAMPLE)
