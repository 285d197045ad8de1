"""An anatomical CT phantom with exact labels: the whole spine with the
structures a real CT has around it.

The CT phantom of :mod:`spinemm.phantoms.ct` is a column of blocks in
water; models trained on it take ribs, heart and liver for vertebrae on
real CTs (configs/verse3d/README.md). This phantom draws what a real CT
shows, each structure with its template code (:mod:`spinemm.synthesis.
anatomy_codes`, vertebrae in VerSe numbering), so it is also a template
for the CT synthesis (:func:`write_phantom_templates`):

- **the column** (:mod:`spinemm.phantoms.ct_column`): C1 (a ring) and C2
  (with the dens) to L5, curved (lordosis, kyphosis, scoliosis); each
  vertebra a body (its cortical shell and cancellous core come from the
  painting), pedicles and laminae round the canal, spinous and transverse
  processes (:mod:`spinemm.phantoms.ct_bones`); discs; the spinal cord
  in its canal; osteoporotic bone (low cancellous HU) and fractured
  bodies (Genant grades, as the radiograph phantoms); pedicle screws;
- **the variants** a level count has to survive (:data:`ct_column.
  VARIANTS`): 12 rib pairs; a T13 (13 rib-bearing vertebrae, VerSe 28);
  an L6 (VerSe 25); 11 rib pairs (T12 without ribs);
- **around it**: ribs on T1-T12 (or T13) with costal cartilage, sternum,
  clavicles, scapulae; the sacrum under the last lumbar vertebra, iliac
  wings, acetabula, pubic and ischial rami, femora; the skull with the
  foramen magnum above C1, the mandible; the body outline with a
  subcutaneous fat layer, paraspinal and psoas muscles, lungs, airway,
  heart, aorta and iliac arteries (with or without contrast), caval vein,
  carotid and jugular vessels, liver, spleen, kidneys, stomach, bowel
  (some of it gas-filled), bladder, thyroid;
- **the scan**: a field of view (cervical, thoracic, lumbar,
  thoracolumbar, whole), slice thickness 0.5-5 mm, partial volume (a
  blur), noise.

Sizes are adult means (:mod:`ct_column`); HU come from the ranges of
:data:`spinemm.synthesis.synth_ct.HU_RANGES`. The truth is exact by
construction: every voxel's code is the structure drawn there last.
"""
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ..io.volume import Volume
from ..synthesis.anatomy_codes import (BODY, LEFT_RIB, RIGHT_RIB, SACRUM,
                                       SOFT, is_vertebra)
from .ct_bones import (draw_rib, draw_sacrum_pelvis, draw_screws, draw_skull,
                       draw_thorax_bones, draw_vertebra)
from .ct_canvas import TISSUE, Canvas
from .ct_column import VARIANTS, Centreline, make_levels
from .radiograph import _draw_fracture, _heights

FIELDS_OF_VIEW = ('whole', 'cervical', 'thoracic', 'lumbar', 'thoracolumbar',
                  'neck')
#: drawn when no ``fov`` is given: 'neck' (skull base to C6, no rib: a
#: cervical-spine CT) came later and is given only by name, so that every
#: seed still draws the phantom it drew before
DRAWN_FIELDS_OF_VIEW = FIELDS_OF_VIEW[:5]

#: lean body outline at key levels: half-width, back and front (mm from
#: the column's axis); the subcutaneous fat is added outside
_OUTLINE = [('head', 70, 80, 100), ('C1', 58, 68, 72), ('C4', 52, 62, 58),
            ('C7', 62, 70, 60), ('T1', 145, 80, 95), ('T3', 148, 78, 128),
            ('T7', 148, 72, 152), ('T11', 145, 72, 160), ('L2', 140, 75, 140),
            ('L5', 150, 80, 135), ('pelvis', 165, 90, 140),
            ('hips', 160, 95, 130)]


@dataclass
class AnatomyPhantom:
    ct: Volume         # int16 HU
    codes: Volume      # uint8 template codes (spinemm.synthesis.anatomy_codes)
    variant: str
    fov: str
    levels: list       # every level of the column, head to foot
    rib_levels: dict   # rib number -> the level it articulates with
    vertebrae: list = field(default_factory=list)  # dicts, in the FOV
    metal_levels: list = field(default_factory=list)

    @property
    def labels(self):
        """VerSe labels: vertebrae and the sacrum (26), else 0."""
        c = self.codes.data
        keep = is_vertebra(c) | (c == SACRUM)
        return Volume(np.where(keep, c, 0).astype(np.uint8),
                      self.codes.affine.copy())


def _draw_variant(rng):
    names = list(VARIANTS)
    return names[rng.choice(len(names), p=[0.55, 0.15, 0.15, 0.15])]


def make_anatomy_phantom(seed, variant=None, fov=None, spacing=2.0,
                         thickness=None, noise=None, fracture_prob=0.1,
                         metal_prob=0.1, habitus=None):
    """Draw one anatomical CT phantom; the same arguments give the same
    phantom. ``variant``: a key of :data:`ct_column.VARIANTS` (random:
    normal 55 %, the other three 15 % each); ``fov``: one of
    :data:`FIELDS_OF_VIEW` (random: any but 'neck'); ``thickness`` (mm, random 0.5-5),
    ``noise`` (HU standard deviation, random 5-30). The volumes have a
    diagonal affine, orientation ('R', 'A', 'S'), ``spacing`` mm."""
    rng = np.random.RandomState(seed)
    variant = variant or _draw_variant(rng)
    if variant not in VARIANTS:
        raise ValueError(f'variant is one of {sorted(VARIANTS)}, not '
                         f'{variant!r}')
    drawn = DRAWN_FIELDS_OF_VIEW
    fov = fov or drawn[rng.randint(len(drawn))]
    if fov not in FIELDS_OF_VIEW:
        raise ValueError(f'fov is one of {FIELDS_OF_VIEW}, not {fov!r}')
    scale = rng.uniform(0.92, 1.08)
    fx, fy = habitus or (rng.uniform(0.88, 1.15), rng.uniform(0.88, 1.2))
    fat = rng.uniform(6, 35)
    levels = make_levels(variant, rng, scale)
    by = {lv.name: lv for lv in levels}
    line = Centreline(levels, rng)
    z_of = {lv.name: line.at(lv.s)[2] for lv in levels}
    last = levels[-1]
    sac_top = line.at(last.s + last.h / 2 + last.disc)
    z_of.update(head=z_of['C1'] + 45, pelvis=sac_top[2] - 60,
                hips=sac_top[2] - 150)

    # field of view along z
    jitter = rng.uniform(-12, 12, 2)
    z_hi, z_lo = {
        'whole': (z_of['C1'] + 50, sac_top[2] - 140),
        'cervical': (z_of['C1'] + 50, z_of['T2']),
        'neck': (z_of['C1'] + 50, z_of['C6']),
        'thoracic': (z_of['C7'], z_of['L1']),
        'lumbar': (z_of['T11'], sac_top[2] - 130),
        'thoracolumbar': (z_of['T6'], sac_top[2] - 60)}[fov]
    z_hi, z_lo = z_hi + jitter[0], z_lo + jitter[1]
    keys = sorted((z_of[n], a * fx + fat, b * fy + fat, f * fy + fat)
                  for n, a, b, f in _OUTLINE)
    kz = np.array([k[0] for k in keys])

    def outline(z):
        """Half-width, y back, y front of the skin at ``z`` (arrays)."""
        ax, back, front = (np.interp(z, kz, [k[i] for k in keys])
                           for i in (1, 2, 3))
        _, cy = line.at_z(z)
        return ax, cy - back, cy + front

    zs = np.linspace(z_lo, z_hi, 50)
    ax, yb, yf = outline(zs)
    cv = Canvas((-ax.max() - 8, yb.min() - 8, z_lo),
                (ax.max() + 8, yf.max() + 8, z_hi), spacing)
    _draw_body(cv, outline, fat)

    # thoracic cavity (ribs, lungs) and the diaphragm
    def cavity(k):
        f = min(1.0, (k - 1) / 6.0)
        lv = by[f'T{min(k, len([n for n in by if n[0] == "T"]))}']
        _, cy = line.at_z(np.array([z_of[lv.name]]))
        return (fx * (55 + 70 * f) * scale,
                float(cy[0]) + fy * (50 + 70 * f) * scale)
    n_thoracic = VARIANTS[variant]['thoracic']
    z_dia0 = z_of[f'T{n_thoracic}'] + 10

    def diaphragm(X, Y):
        _, cy = line.at_z(np.array([z_dia0]))
        dome = np.maximum(0, 1 - ((np.abs(X) - 55 * fx) / (95 * fx))**2 -
                          ((Y - cy[0] - 50) / (130 * fy))**2)
        return z_dia0 + 45 * dome + np.where(X > 0, 10.0, 0.0)

    _draw_soft(cv, line, levels, by, z_of, sac_top, cavity, diaphragm,
               rng, fx, fy, scale)

    # bones, head to foot
    frng = np.random.default_rng([seed, 2])  # the radiograph phantoms' draws
    grades, types = _draw_fracture(frng, len(levels), fracture_prob)
    vertebrae = []
    for i, lv in enumerate(levels):
        hs = None
        if lv.name not in ('C1', 'C2'):
            ha, hm, hp, loss = _heights((lv.h, lv.d, lv.width), grades[i],
                                        types[i], frng)
            hs = (ha, hm, hp)
        c = draw_vertebra(cv, lv, line, hs)
        vertebrae.append(dict(level=lv.name, label=lv.label,
                              genant_grade=int(grades[i]) if hs else 0,
                              fracture_type=types[i] if hs else None,
                              centroid=c.round(2).tolist()))
    n_ribs = VARIANTS[variant]['ribs']
    rib_levels, rib_ends = {}, {}
    for k in range(1, n_ribs + 1):
        name = 'T13' if k == 13 else f'T{k}'
        rib_levels[k] = name
        for side in (-1, 1):
            _, end = draw_rib(cv, line, by[name], k, side, cavity, rng)
            rib_ends[k] = end
    draw_thorax_bones(cv, line, by, rib_ends, rng, scale)
    draw_sacrum_pelvis(cv, line, last, rng, scale)
    draw_skull(cv, line, by['C1'], scale)
    metal = []
    lumbar = [lv for lv in levels if lv.name[0] == 'L']
    if rng.rand() < metal_prob:
        i = rng.randint(len(lumbar) - 1)
        metal = lumbar[i:i + 2]
        draw_screws(cv, line, metal)

    hu = paint_phantom(cv.codes, cv.tissue, rng)
    thickness = rng.uniform(0.5, 5.0) if thickness is None else thickness
    noise = rng.uniform(5, 30) if noise is None else noise
    hu = scan(hu, rng, spacing, thickness, noise)
    z_lo_k, z_hi_k = cv.origin[2], cv.z_of(cv.shape[2] - 1)
    in_fov = [v for v in vertebrae if z_lo_k <= v['centroid'][2] <= z_hi_k
              and (cv.codes == v['label']).any()]
    affine = cv.affine()
    return AnatomyPhantom(
        ct=Volume(np.clip(np.round(hu), -1024, 3071).astype(np.int16),
                  affine.copy(), dict(source=f'anatomy phantom {seed}')),
        codes=Volume(cv.codes, affine.copy()), variant=variant, fov=fov,
        levels=[lv.name for lv in levels], rib_levels=rib_levels,
        vertebrae=in_fov, metal_levels=[lv.name for lv in metal])


def _draw_body(cv, outline, fat):
    """The skin outline, slice by slice, with its subcutaneous fat."""
    sl_all = (slice(None), slice(None))
    X = cv.origin[0] + cv.spacing * np.arange(cv.shape[0])[:, None]
    Y = cv.origin[1] + cv.spacing * np.arange(cv.shape[1])[None, :]
    for k in range(cv.shape[2]):
        ax, yb, yf = (float(a[0]) for a in outline(np.array([cv.z_of(k)])))
        yc, ay = (yb + yf) / 2, (yf - yb) / 2
        r = np.hypot(X / ax, (Y - yc) / ay)
        inner = np.hypot(X / max(ax - fat, 5), (Y - yc) / max(ay - fat, 5))
        cv.codes[sl_all + (k, )][r <= 1] = BODY
        cv.tissue[sl_all + (k, )][(r <= 1) & (inner > 1)] = \
            TISSUE['subcutaneous_fat']


def _segments(cv, points, radii, code, tissue=0, only=None):
    for a, b, r in zip(points[:-1], points[1:], radii):
        cv.tube([a, b], r, code, tissue, only)


def _draw_soft(cv, line, levels, by, z_of, sac_top, cavity, diaphragm, rng,
               fx, fy, scale):
    """Muscles, lungs, airway, organs and vessels (before the bones)."""
    from .ct_bones import to_world
    body = {BODY}
    # discs and the canal: a soft column, the cord inside (to L1)
    disc_pts = [line.at(s) for s in np.arange(levels[0].s,
                                              sac_top_s(levels) + 6, 4.0)]
    cv.tube(disc_pts, 0.45 * np.mean([lv.d for lv in levels]), BODY,
            TISSUE['disc'])
    canal = [to_world(line, lv, (0, -0.4 * lv.d - lv.canal[0], 0))
             for lv in levels]
    cv.tube(canal, 8.0 * scale, BODY, TISSUE['csf'])
    cord_end = next(i for i, lv in enumerate(levels) if lv.name == 'L1')
    cv.tube(canal[:cord_end + 1], 4.5 * scale, SOFT['spinal_cord'])
    # paraspinal muscles, psoas
    muscle = SOFT['muscle']
    for side in (-1, 1):
        pts = [to_world(line, lv, (side * (lv.canal[1] + 14 * scale),
                                   -0.4 * lv.d - 2 * lv.canal[0] - 12, 0))
               for lv in levels[1:]]
        radii = [{'C': 11, 'T': 16, 'L': 22}[lv.name[0]] * scale
                 for lv in levels[1:]]
        _segments(cv, pts, radii, muscle)
        lumbar = [lv for lv in levels if lv.name[0] == 'L']
        pts = [to_world(line, lv, (side * (lv.width / 2 + 6 + 3 * i),
                                   -0.1 * lv.d, 0))
               for i, lv in enumerate(lumbar)]
        pts.append(sac_top + np.array([side * 62 * scale, 40, -80]))
        _segments(cv, pts, [8 + 3.5 * i for i in range(len(pts))], muscle)
    # lungs, slice by slice, above the diaphragm and off the mediastinum
    _draw_lungs(cv, line, levels, by, z_of, cavity, diaphragm, fx, fy)

    def below(X, Y, Z):
        return Z < diaphragm(X, Y)

    def above(X, Y, Z):
        return Z >= diaphragm(X, Y) - 5
    # neck and mediastinum
    at = {n: line.at(by[n].s) for n in by}
    d_of = {n: by[n].d for n in by}
    front = {n: at[n] + np.array([0, d_of[n] / 2, 0]) for n in by}
    cv.tube([front['C6'] + [0, 22, 0], front['T4'] + [0, 20, 0]],
            9 * scale, SOFT['airway'])
    for side in (-1, 1):
        cv.tube([front['T4'] + [0, 20, 0],
                 front['T5'] + [side * 35, 20, -15]], 6 * scale,
                SOFT['airway'])
        cv.tube([front['C1'] + [side * 24, 14, 0],
                 front['T2'] + [side * 12, 20, 0]], 4 * scale, SOFT['artery'])
        cv.tube([front['C1'] + [side * 34, 8, 0],
                 front['T2'] + [side * 22, 25, 0]], 6 * scale, SOFT['vein'])
        cv.ellipsoid(front['C7'] + [side * 18, 27, 0], (10, 8, 20),
                     SOFT['organ'])
    cv.tube([front['C6'] + [-3, 8, 0], front['T10'] + [-12, 8, 0]],
            7 * scale, SOFT['organ'])
    heart = front['T8'] + np.array([-18 * fx, 58 * fy, 0])
    cv.ellipsoid(heart, np.array([55 * fx, 45 * fy, 52]) * scale,
                 SOFT['heart'], keep=above)
    # aorta and iliac arteries; caval and iliac veins
    t4 = front['T4']
    desc = [at[n] + np.array([-by[n].width / 2 - 8, by[n].d / 2 - 2, 0])
            for n in by if n[0] == 'T' and int(n[1:]) >= 4]
    desc += [front[n] + [-8, 10, 0] for n in by if n[0] == 'L'][:4]
    arch = [heart + [8, 10, 40], t4 + [8, 40, 25], t4 + [-10, 25, 32],
            desc[0]]
    cv.tube(arch, 13 * scale, SOFT['artery'])
    _segments(cv, desc, np.linspace(12, 9, len(desc)) * scale, SOFT['artery'])
    ivc = [front[n] + [by[n].width / 2 * 0.5 + 12, 12, 0]
           for n in by if n[0] == 'L'][:4][::-1]
    ivc.append(heart + [35, 10, -20])
    cv.tube(ivc, 11 * scale, SOFT['vein'])
    for side in (-1, 1):
        cv.tube([desc[-1], sac_top + [side * 45, 25, -40],
                 sac_top + [side * 75, 55, -95]], 6 * scale, SOFT['artery'])
        cv.tube([ivc[0] + [-15, -4, 0], sac_top + [side * 40, 15, -40],
                 sac_top + [side * 72, 45, -95]], 7 * scale, SOFT['vein'])
    # abdominal organs, under the diaphragm
    t11 = at[[n for n in by if n[0] == 'T'][-2]]
    l1, l2 = at['L1'], at['L2']
    cv.ellipsoid(t11 + np.array([70 * fx, 60 * fy, -25]),
                 np.array([80 * fx, 75 * fy, 80]) * scale, SOFT['liver'],
                 keep=below, only=body | {SOFT['lung']})
    cv.ellipsoid(t11 + np.array([-85 * fx, 5, -20]),
                 np.array([25, 45, 50]) * scale, SOFT['spleen'], keep=below,
                 only=body)
    cv.ellipsoid(t11 + np.array([-45 * fx, 75 * fy, -45]),
                 np.array([50, 40, 45]) * scale, SOFT['organ'], keep=below,
                 only=body)
    cv.ellipsoid(t11 + np.array([-45 * fx, 95 * fy, -25]),
                 np.array([25, 15, 15]) * scale, SOFT['organ'],
                 TISSUE['gas'], only={SOFT['organ']})
    for side, c in ((1, l2 + [0, 0, -10]), (-1, l1)):
        cv.ellipsoid(c + np.array([side * (by['L1'].width / 2 + 42), -5, 0]),
                     np.array([28, 25, 55]) * scale, SOFT['kidney'],
                     only=body)
    for _ in range(rng.randint(10, 20)):
        c = np.array([rng.uniform(-90, 90) * fx,
                      l2[1] + rng.uniform(45, 110) * fy,
                      rng.uniform(sac_top[2] - 70, l1[2])])
        r = rng.uniform(15, 30, 3) * scale
        cv.ellipsoid(c, r, SOFT['bowel'], TISSUE['fluid'], only=body)
        if rng.rand() < 0.4:
            cv.ellipsoid(c, r * 0.6, SOFT['bowel'], TISSUE['gas'],
                         only={SOFT['bowel']})
    cv.ellipsoid(sac_top + np.array([0, 100 * fy, -100]),
                 np.array([35, 30, 30]) * scale, SOFT['organ'],
                 TISSUE['fluid'], only=body)


def sac_top_s(levels):
    last = levels[-1]
    return last.s + last.h / 2 + last.disc


def _draw_lungs(cv, line, levels, by, z_of, cavity, diaphragm, fx, fy):
    thoracic = [lv for lv in levels if lv.name[0] == 'T']
    kz = np.array([z_of[lv.name] for lv in thoracic])[::-1]
    axes = np.array([cavity(k + 1) for k in range(len(thoracic))])[::-1]
    z_top = z_of['T1'] + 20
    X = cv.origin[0] + cv.spacing * np.arange(cv.shape[0])[:, None]
    Y = cv.origin[1] + cv.spacing * np.arange(cv.shape[1])[None, :]
    widths = np.array([lv.width for lv in levels])[::-1]
    depths = np.array([lv.d for lv in levels])[::-1]
    lz = np.array([z_of[lv.name] for lv in levels])[::-1]
    for k in range(cv.shape[2]):
        z = cv.z_of(k)
        if z > z_top or z < kz[0] - 20:
            continue
        cx, cy = (float(a[0]) for a in line.at_z(np.array([z])))
        ax = np.interp(z, kz, axes[:, 0]) - 8
        ax *= min(1.0, (z_top - z) / 30.0 + 0.35)
        yf = np.interp(z, kz, axes[:, 1]) - 8
        yb = cy - 28 * fy
        yc, ay = (yf + yb) / 2, (yf - yb) / 2
        w, d = np.interp(z, lz, widths), np.interp(z, lz, depths)
        lung = (np.hypot(X / ax, (Y - yc) / ay) <= 1) & \
            (np.hypot((X - cx) / (w / 2 + 14), (Y - cy + 12) / (d / 2 + 28))
             > 1) & ~((np.abs(X - 0.5 * cx + 8) < 24) & (Y > cy + d / 2 - 6))
        lung &= z > diaphragm(X, Y)
        sl = (slice(None), slice(None), k)
        lung &= cv.codes[sl] == BODY
        cv.codes[sl][lung] = SOFT['lung']
        cv.tissue[sl][lung] = 0


def paint_phantom(codes, tissue, rng):
    """HU of the phantom: each structure from its CT range
    (:func:`spinemm.synthesis.synth_ct.paint_ct`, contrast or not, bone
    as a cortical shell round a cancellous core), the unnamed body as fat
    and soft tissue in a smooth random mix, and the tissue kinds (discs,
    CSF, gas, fluid, metal) their own HU."""
    from ..synthesis.synth_ct import paint_ct
    hu = paint_ct(codes, rng, None, 'ct')
    body = codes == BODY
    coarse = rng.normal(0, 1, tuple(max(2, s // 10) for s in codes.shape))
    mix = ndimage.zoom(coarse, [s / c for s, c in
                                zip(codes.shape, coarse.shape)], order=1)
    mix = mix[:codes.shape[0], :codes.shape[1], :codes.shape[2]]
    soft = 1 / (1 + np.exp(-2.5 * mix))
    hu[body] = (-105 + 150 * soft)[body]
    values = {'subcutaneous_fat': rng.uniform(-115, -85),
              'disc': rng.uniform(70, 110), 'csf': rng.uniform(0, 15),
              'gas': rng.uniform(-1010, -950), 'fluid': rng.uniform(0, 25),
              'metal': rng.uniform(2500, 3070)}
    for name, value in values.items():
        hu[tissue == TISSUE[name]] = value
    return hu


def scan(hu, rng, spacing, thickness, noise):
    """Slice thickness (a Gaussian of that FWHM along z), partial volume
    (half a voxel in-plane) and Gaussian noise."""
    sz = np.sqrt(max(thickness**2 - spacing**2, 0.0)) / 2.355 / spacing
    out = ndimage.gaussian_filter(hu, (0.45, 0.45, max(sz, 0.45)))
    out += rng.normal(0, noise, hu.shape).astype(np.float32)
    return out


def ribs_of(codes):
    """``{rib code: voxel count}`` of the ribs present."""
    c = np.asarray(codes)
    ribs = c[((c > LEFT_RIB) & (c <= LEFT_RIB + 13)) |
             ((c > RIGHT_RIB) & (c <= RIGHT_RIB + 13))]
    return dict(zip(*(a.tolist() for a in np.unique(ribs,
                                                    return_counts=True))))


__all__ = ['AnatomyPhantom', 'FIELDS_OF_VIEW', 'DRAWN_FIELDS_OF_VIEW',
           'make_anatomy_phantom', 'paint_phantom', 'scan', 'ribs_of']
