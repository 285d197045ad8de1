"""The bones of the anatomical CT phantom (:mod:`spinemm.phantoms.
ct_anatomy`): vertebrae (body, arch, spinous and transverse processes; C1
a ring, C2 with the dens), ribs, sternum and costal cartilage, clavicles,
scapulae, the sacrum, the pelvis and femora, the skull base and mandible,
and pedicle screws. Every function paints template codes
(:mod:`spinemm.synthesis.anatomy_codes`) on a :class:`~spinemm.phantoms.
ct_canvas.Canvas`.
"""
import numpy as np

from ..synthesis.anatomy_codes import BONE, LEFT_RIB, RIGHT_RIB, SACRUM
from .ct_canvas import TISSUE
from .radiograph import _endplate


def _local(cv, centre, frame, radius):
    """Box around ``centre`` and the local coordinates (w, v, u) of its
    voxels in ``frame`` (w right, v anterior, u up)."""
    got = cv.box(centre - radius, centre + radius)
    if got is None:
        return None
    sl, (X, Y, Z) = got
    q = [X - centre[0], Y - centre[1], Z - centre[2]]
    return sl, [sum(axis[k] * q[k] for k in range(3)) for axis in frame]


def _canal_centre(lv):
    """The canal's centre along v (mm, local frame of the body)."""
    return -0.4 * lv.d - lv.canal[0]


def transverse_tip(lv, side):
    """Local (w, v, u) of the tip of a transverse process (side +1 right,
    -1 left)."""
    t = lv.arch
    length, angle = lv.tp
    b = np.deg2rad(angle)
    w0 = side * (lv.canal[1] + 0.5 * t) if lv.name != 'C1' else side * 28.0
    return np.array([w0 + side * length * np.cos(b),
                     _canal_centre(lv) - length * np.sin(b), 0.15 * lv.h])


def draw_vertebra(cv, lv, line, heights=None):
    """One vertebra; ``heights`` (anterior, middle, posterior) of its body
    (fractures), default ``lv.h`` all three. Returns the body centre."""
    c = line.at(lv.s)
    frame = line.frame(lv.s)
    reach = max(0.5 * lv.d + 2 * lv.canal[0] + lv.arch + lv.sp[0],
                lv.canal[1] + lv.arch + lv.tp[0], 0.5 * lv.width, 40.0) + 8
    got = _local(cv, c, frame, reach)
    if got is None:
        return c
    sl, (w, v, u) = got
    h, d, t = lv.h, lv.d, lv.arch
    ha, hm, hp = heights or (h, h, h)
    ca, cw = lv.canal
    vc = _canal_centre(lv)
    canal = np.hypot((v - vc) / ca, w / cw) <= 1.0
    if lv.name == 'C1':
        ring = (np.hypot(v / (0.55 * ca + 15), w / 36.0) <= 1.0) & \
            (np.hypot((v + 3) / 15.0, w / 13.0) > 1.0) & \
            (np.abs(u) <= np.where(np.abs(w) > 12, 7.0, 5.0))
        mask = ring
    else:
        half = d / 2
        vv = np.clip(v, -half, half)
        top = _endplate(vv, ha / 2, hm / 2, hp / 2, half)
        body = (np.hypot(v / half, w / (lv.width / 2)) <= 1.0) & \
            (v >= -0.4 * d) & (u <= top) & (u >= -top)
        arch = (np.hypot((v - vc) / (ca + t), w / (cw + t)) <= 1.0) & \
            ~canal & (v < -0.3 * d) & (u >= -0.3 * h) & (u <= 0.45 * h)
        length, angle = lv.sp
        a = np.deg2rad(angle)
        v0, u0 = vc - ca - 0.5 * t, 0.05 * h
        tau = -(v - v0) * np.cos(a) - (u - u0) * np.sin(a)
        perp = (v - v0) * np.sin(a) - (u - u0) * np.cos(a)
        spine = (tau >= 0) & (tau <= length) & \
            (np.abs(perp) <= np.clip(0.22 * h, 3.5, 7.0)) & \
            (np.abs(w) <= np.clip(0.09 * lv.width, 2.5, 4.5))
        mask = body | arch | spine
        if lv.name == 'C2':  # the dens, up into the ring of C1
            mask |= (np.hypot(v - 0.1 * d, w) <= 5.0) & (u >= 0) & \
                (u <= h / 2 + 14.0)
    for side in (-1, 1):
        tip = transverse_tip(lv, side)
        w0 = side * (cw + 0.5 * t) if lv.name != 'C1' else side * 28.0
        start = np.array([w0, vc, tip[2]])
        e = (tip - start) / max(np.linalg.norm(tip - start), 1e-6)
        rel = [w - start[0], v - start[1], u - start[2]]
        tau = rel[0] * e[0] + rel[1] * e[1] + rel[2] * e[2]
        dist2 = sum(r * r for r in rel) - tau**2
        r = np.clip(0.2 * lv.h, 3.5, 5.5)
        mask |= (tau >= 0) & (tau <= np.linalg.norm(tip - start)) & \
            (dist2 <= r * r)
    cv.paint(sl, mask & ~canal, lv.label)
    return c


def to_world(line, lv, local):
    w, v, u = line.frame(lv.s)
    return line.at(lv.s) + local[0] * w + local[1] * v + local[2] * u


#: degrees below the horizontal at which a rib leaves its vertebra, on top
#: of its descent round the cavity (a draw from the range; ribs not named:
#: 0-4)
RIB_SLOPE = {8: (0, 6), 9: (2, 10), 10: (10, 24), 11: (20, 36),
             12: (16, 38), 13: (20, 40)}
#: the descent runs over the rib's first SLOPE_MM mm
SLOPE_MM = 130.0
#: where a rib ends round the thoracic cavity (times pi; 0.5 is the side)
RIB_END = {1: (0.78, 0.82), 11: (0.45, 0.6), 12: (0.18, 0.28),
           13: (0.16, 0.26)}


def draw_rib(cv, line, lv, number, side, cavity, rng):
    """Rib ``number`` on vertebra ``lv``: head against the body's
    posterolateral side, out past the tip of the transverse process, then
    round the thoracic cavity (``cavity(z)`` -> (half-width, y back,
    y front)), descending towards the front; costal cartilage (ribs 1-10)
    to the sternum. The lower ribs leave the column descending (measured
    on the real chest and abdominal CTs, 25-45 mm from the head: ribs 6
    and 8 -1 to 7 degrees below the horizontal, rib 10 15-30, rib 11 25-40, rib 12
    15-40), and ribs 11-13 are shorter and thinner (rib 12 is 70-80 mm
    long there); :data:`RIB_SLOPE` gives each rib's range. Returns the
    world point of its head and of its end."""
    head = to_world(line, lv, (side * 0.47 * lv.width, -0.3 * lv.d,
                               0.2 * lv.h))
    tip = to_world(line, lv, transverse_tip(lv, side)) + \
        np.array([side * 4.0, -4.0, 0.0])
    ax, y_front = cavity(number)
    y_back = tip[1] - 14.0
    yc, ay = (y_front + y_back) / 2, (y_front - y_back) / 2
    theta0 = np.arcsin(np.clip(abs(tip[0]) / ax, 0, 0.95))
    end = rng.uniform(*RIB_END.get(number, (0.72, 0.76))) * np.pi
    # a short lowest rib (13, 12) on a wide vertebra under a narrow cavity:
    # the transverse tip already lies past the drawn end; the rib then ends
    # just beyond the tip (before: a NaN path and a crash, seed 100025)
    end = max(end, theta0 + 0.05 * np.pi)
    drop = 15.0 if number == 1 else rng.uniform(35, 60) * \
        (0.7 if number >= 11 else 1.0)
    th = np.linspace(theta0, end, 60)
    frac = (th - theta0) / (np.pi - theta0)
    arc = np.stack([side * ax * np.sin(th), yc - ay * np.cos(th),
                    tip[2] - drop * frac**1.2], 1)
    path = np.vstack([head, tip, arc])
    # the descent from the head: tan(slope) per mm along the rib, for its
    # first SLOPE_MM mm
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(
        np.diff(path[:, :2], axis=0), axis=1))])
    slope = np.tan(np.deg2rad(rng.uniform(*RIB_SLOPE.get(number, (0, 4)))))
    path[:, 2] -= slope * np.minimum(along, SLOPE_MM)
    code = (RIGHT_RIB if side > 0 else LEFT_RIB) + number
    radius = rng.uniform(*((2.5, 3.5) if number >= 11
                           else (3.2, 4.3)))
    cv.tube(path, radius, code)
    if number <= 10:  # costal cartilage to the sternum's edge
        stop = np.pi - np.arcsin(min(18.0 / ax, 0.5))
        th2 = np.linspace(end, stop, 30)
        rise = np.linspace(0, 10.0 if number >= 7 else 0.0, 30)
        frac2 = (th2 - theta0) / (np.pi - theta0)
        cart = np.stack([side * ax * np.sin(th2), yc - ay * np.cos(th2),
                         tip[2] - drop * frac2**1.2 + rise -
                         slope * SLOPE_MM], 1)
        cv.tube(cart, 4.0, BONE['costal_cartilages'])
    return head, path[-1]


def draw_sacrum_pelvis(cv, line, last, rng, scale=1.0):
    """The sacrum under the last lumbar vertebra (its axis tilted back by
    the sacral slope), the iliac wings, acetabula, pubic and ischial rami,
    and the femora. Returns (sacrum top centre, its axis)."""
    s0 = last.s + last.h / 2 + last.disc
    top = line.at(s0 + 4.0)
    w, v, u = line.frame(last.s)
    gamma = np.deg2rad(rng.uniform(30, 50))  # axis tilt from the column's
    axis = -np.cos(gamma) * u - np.sin(gamma) * v  # down and back
    n = np.cross(w, axis)  # anterior-ish, perpendicular to the axis
    n = n if n[1] > 0 else -n
    length = rng.uniform(95, 115) * scale
    got = cv.box(top - length - 60, top + length + 60)
    if got is not None:
        sl, (X, Y, Z) = got
        q = [X - top[0], Y - top[1], Z - top[2]]
        tau = sum(axis[k] * q[k] for k in range(3))
        f = np.clip(tau / length, 0, 1)
        a = sum(n[k] * q[k] for k in range(3)) - 0.0025 * tau**2
        b = sum(w[k] * q[k] for k in range(3))
        half_w = scale * 52.0 * (1 - 0.75 * f**1.3)
        half_t = scale * (19.0 - 13.0 * f) * np.where(np.abs(b) > 25, 0.7, 1)
        cv.paint(sl, (tau >= 0) & (tau <= length) &
                 (np.hypot(a / half_t, b / half_w) <= 1.0), SACRUM)
    hip, femur = BONE['hip'], BONE['femur']
    for side in (-1, 1):
        cx = top[0] + side * 45 * scale
        centre = np.array([cx, top[1] + 5, top[2] - 45 * scale])
        r_out = np.array([72, 58, 85]) * scale
        r_in = r_out - 7.0

        def wing(X, Y, Z, side=side, centre=centre, r_in=r_in):
            inner = sum(((C - c) / r)**2 for C, c, r in
                        zip((X, Y, Z), centre, r_in))
            return (inner > 1) & (side * (X - top[0]) > 52 * scale) & \
                (Z < top[2] + 38 * scale) & (Z > top[2] - 95 * scale) & \
                (Y < top[1] + 60 * scale)
        cv.ellipsoid(centre, r_out, hip, keep=wing)
        head = np.array([top[0] + side * 88 * scale, top[1] + 45 * scale,
                         top[2] - 105 * scale])
        cv.ellipsoid(head, (31 * scale, ) * 3, hip,
                     keep=lambda X, Y, Z, h=head: Z > h[2] - 4)
        cv.ellipsoid(head, (22 * scale, ) * 3, femur)
        front = np.array([top[0] + side * 10, top[1] + 105 * scale,
                          head[2] - 15 * scale])
        cv.tube([head + [-side * 15, 20, -5], front], 8 * scale, hip)
        cv.tube([head + [-side * 10, -10, -20],
                 head + [-side * 30, -25, -55 * scale]], 10 * scale, hip)
        troch = head + [side * 38 * scale, -5, -35 * scale]
        cv.tube([head, troch], 14 * scale, femur)
        cv.tube([troch, troch + [-side * 8, 5, -250]], 13 * scale, femur)
    return top, axis


def draw_thorax_bones(cv, line, by_name, rib_ends, rng, scale=1.0):
    """Sternum (from the first to the seventh costal cartilage),
    clavicles and scapulae."""
    ends = [rib_ends[k] for k in sorted(rib_ends) if k <= 7]
    if not ends:
        return
    ys = np.mean([e[1] for e in ends])
    z_top, z_low = ends[0][2] + 12, ends[-1][2] - 25
    sternum = [np.array([0.0, ys + 8 + 0.05 * (z_top - z), z])
               for z in np.linspace(z_top, z_low, 12)]
    cv.tube(sternum, 7 * scale, BONE['sternum'])
    cv.tube(sternum[:3], 10 * scale, BONE['sternum'])  # manubrium
    t4 = line.at(by_name['T4'].s) if 'T4' in by_name else sternum[0]
    for side in (-1, 1):
        cv.tube([sternum[0] + [side * 18, 0, 2],
                 sternum[0] + [side * 80, -15, 12],
                 np.array([side * 145 * scale, t4[1] - 25, z_top + 25])],
                7 * scale, BONE['clavicula'])
        cv.ellipsoid(np.array([side * 92 * scale, t4[1] - 40 * scale,
                               t4[2] - 10]), np.array([42, 5, 60]) * scale,
                     BONE['scapula'])


def draw_skull(cv, line, c1, scale=1.0):
    """The skull as a shell (occipital condyles 5 mm above C1, the foramen
    magnum round the canal), the brain inside, and the mandible."""
    top = line.at(c1.s - c1.h / 2)
    centre = top + np.array([0, 15 * scale, 80 * scale])
    radii = np.array([68, 85, 75]) * scale
    canal = line.at(c1.s) + np.array([0, -8 * scale, 0])

    def not_foramen(X, Y, Z):
        return (np.hypot(X - canal[0], Y - canal[1]) > 17 * scale) | \
            (Z > top[2] + 25)
    cv.ellipsoid(centre, radii, BONE['skull'], keep=not_foramen)
    cv.ellipsoid(centre, radii - 7, 62)  # brain
    c2 = top + np.array([0, 0, -25 * scale])
    cv.tube([c2 + [-48 * scale, 25, 20], c2 + [-45 * scale, 55, -15],
             c2 + [0, 80 * scale, -25], c2 + [45 * scale, 55, -15],
             c2 + [48 * scale, 25, 20]], 6 * scale, BONE['skull'])


def draw_screws(cv, line, levels):
    """Bilateral pedicle screws (metal) through the pedicles of
    ``levels`` into their bodies, a rod joining their heads on each side;
    the codes stay (bone where the screw is in bone)."""
    heads = {-1: [], 1: []}
    for lv in levels:
        for side in (-1, 1):
            entry = to_world(line, lv, (side * (lv.canal[1] + lv.arch),
                                        _canal_centre(lv), 0.1 * lv.h))
            target = to_world(line, lv, (side * 0.12 * lv.width,
                                         0.25 * lv.d, 0.0))
            e = (target - entry) / np.linalg.norm(target - entry)
            head = entry - 12 * e
            cv.tube([head, target], 3.2, None, TISSUE['metal'])
            heads[side].append(head)
    for side, pts in heads.items():
        if len(pts) > 1:
            cv.tube(pts, 3.0, None, TISSUE['metal'])


__all__ = ['draw_vertebra', 'draw_rib', 'draw_sacrum_pelvis',
           'draw_thorax_bones', 'draw_skull', 'draw_screws', 'to_world',
           'transverse_tip']
