"""Lateral-film measurements from vertebra corners: vertebral and disc
heights, wedge angles, sagittal alignment. Plain numpy.

A column is ``{level: (4, 2) corners}`` in the order of
:data:`spinemm.anatomy.LATERAL4_KEYPOINT_NAMES` (superior posterior,
superior anterior, inferior posterior, inferior anterior), pixel (x, y)
with y down, NaN for a corner not found; C2 may carry only its inferior
endplate and S1 only its superior one.

Conventions (a film facing either way gives the same numbers: the names are
anatomical, and angles are taken in the patient's frame, anterior = +x,
up = +y):

- **endplate angle** theta: the angle of the endplate line from its
  posterior to its anterior corner against the horizontal, positive when
  the anterior corner is higher (degrees);
- **Cobb angle between two endplates** (Cobb 1948; the sagittal
  parameters of Roussouly et al., Spine 2005, and the SRS-Schwab
  classification, Schwab et al., Spine 2012): the difference of their
  endplate angles, signed so that lordosis is positive for the lordotic
  regions and kyphosis positive for the kyphotic one:

  * cervical lordosis C2-C7 = theta(C2 inferior) - theta(C7 inferior);
  * thoracic kyphosis T4-T12 = theta(T12 inferior) - theta(T4 superior),
    and T1-T12 = theta(T12 inferior) - theta(T1 superior);
  * lumbar lordosis L1-S1 = theta(L1 superior) - theta(S1 superior);

- **T1 slope** (Knott et al., Spine J 2010): the angle of T1's superior
  endplate below the horizontal, -theta(T1 superior) (positive: the
  anterior edge lower, as in a normal standing film);
- **sagittal vertical axis C7-S1** (Jackson & McManus, Spine 1994; Glassman
  et al., Spine 2005): the horizontal distance from the plumb line through
  the centre of C7's body (the mean of its four corners) to the
  posterior-superior corner of S1, positive when the plumb line lies
  anterior to it; pixels, or mm with a pixel spacing;
- **vertebral heights**: anterior = |superior anterior - inferior
  anterior|, posterior likewise, middle = the distance between the two
  endplate centres (the corners' means: the films annotate no mid-point;
  ``middle_from`` says so);
- **wedge angle** of a vertebra: theta(inferior) - theta(superior),
  positive for anterior wedging (the endplates converge anteriorly);
- **disc heights** between adjacent levels: anterior = |upper inferior
  anterior - lower superior anterior|, posterior likewise (C2-C3 from C2's
  inferior endplate, L5-S1 to S1's superior one).
"""
import numpy as np

from ..anatomy import LEVELS, column_ranks

SP, SA, IP, IA = range(4)
#: the levels a column may hold, superior first (with the transitional T13
#: and L6 of :data:`spinemm.anatomy.LEVELS`)
ORDER = tuple(LEVELS)


def patient_frame(column):
    """The column in the patient's frame: x towards anterior, y up (pixel
    units kept). A film facing image-left (anterior corners at smaller x)
    is mirrored; the facing is decided by all anterior vs posterior
    corners."""
    cs = [np.asarray(c, float) for c in column.values()]
    stack = np.stack(cs) if cs else np.zeros((0, 4, 2))
    ant = np.nanmean(stack[:, [SA, IA], 0]) if stack.size else np.nan
    post = np.nanmean(stack[:, [SP, IP], 0]) if stack.size else np.nan
    sign = -1.0 if ant < post else 1.0
    return {lv: np.stack([sign * np.asarray(c, float)[:, 0],
                          -np.asarray(c, float)[:, 1]], 1)
            for lv, c in column.items()}


def _theta(post, ant):
    d = np.asarray(ant, float) - np.asarray(post, float)
    return float(np.degrees(np.arctan2(d[1], d[0])))


def endplate_angle(corners, which):
    """theta of the ``'superior'`` or ``'inferior'`` endplate of corners
    already in the patient frame (NaN when a corner is missing)."""
    p, a = (SP, SA) if which == 'superior' else (IP, IA)
    return _theta(corners[p], corners[a])


def _angle(frame, level, which):
    c = frame.get(level)
    return float('nan') if c is None else endplate_angle(c, which)


def sagittal_alignment(column, spacing=None):
    """The sagittal parameters of a column (see the module docstring).

    Args:
        column: ``{level: (4, 2)}`` corners (image pixels).
        spacing: mm per pixel along x (scalar), for the SVA in mm.

    Returns:
        dict(cervical_lordosis_C2_C7, thoracic_kyphosis_T4_T12,
        thoracic_kyphosis_T1_T12, lumbar_lordosis_L1_S1, T1_slope (degrees),
        SVA_C7_S1_px, SVA_C7_S1_mm (None without spacing)); a parameter whose
        endplates are missing is NaN.
    """
    f = patient_frame(column)
    sva = float('nan')
    if 'C7' in f and 'S1' in f:
        c7 = np.nanmean(f['C7'], 0)[0] if np.isfinite(f['C7']).any() \
            else np.nan
        sva = float(c7 - f['S1'][SP, 0])
    out = dict(
        cervical_lordosis_C2_C7=_angle(f, 'C2', 'inferior')
        - _angle(f, 'C7', 'inferior'),
        thoracic_kyphosis_T4_T12=_angle(f, 'T12', 'inferior')
        - _angle(f, 'T4', 'superior'),
        thoracic_kyphosis_T1_T12=_angle(f, 'T12', 'inferior')
        - _angle(f, 'T1', 'superior'),
        lumbar_lordosis_L1_S1=_angle(f, 'L1', 'superior')
        - _angle(f, 'S1', 'superior'),
        T1_slope=-_angle(f, 'T1', 'superior'),
        SVA_C7_S1_px=sva,
        SVA_C7_S1_mm=None if spacing is None else sva * float(spacing))
    return out


def _dist(a, b):
    return float(np.hypot(*(np.asarray(a, float) - np.asarray(b, float))))


def vertebra_measurements(column, spacing=1.0):
    """Per vertebra with all four corners: heights (anterior, middle from
    the endplate centres, posterior; in ``spacing`` units) and the wedge
    angle (degrees), superior first. Returns a list of dicts with
    ``level``."""
    f = patient_frame(column)
    rows = []
    for lv in _ordered(column):
        c = np.asarray(column[lv], float)
        if not np.isfinite(c).all():
            continue
        sup, inf = (c[SP] + c[SA]) / 2, (c[IP] + c[IA]) / 2
        rows.append(dict(
            level=lv,
            anterior=_dist(c[SA], c[IA]) * spacing,
            middle=_dist(sup, inf) * spacing, middle_from='endplate centres',
            posterior=_dist(c[SP], c[IP]) * spacing,
            wedge_deg=endplate_angle(f[lv], 'inferior')
            - endplate_angle(f[lv], 'superior')))
    return rows


def disc_heights(column, spacing=1.0):
    """Anterior and posterior disc heights of every pair of adjacent levels
    (in the column order of :func:`spinemm.anatomy.column_ranks`: T12-L1
    adjacent unless a T13 is there), superior first; a pair with a corner
    missing gets NaN for that height."""
    levels = _ordered(column)
    ranks = column_ranks(levels)
    rows = []
    for up, lo in zip(levels, levels[1:]):
        if ranks[levels.index(lo)] - ranks[levels.index(up)] != 1:
            continue
        u, d = np.asarray(column[up], float), np.asarray(column[lo], float)
        rows.append(dict(upper=up, lower=lo,
                         anterior=_dist(u[IA], d[SA]) * spacing,
                         posterior=_dist(u[IP], d[SP]) * spacing))
    return rows


def _ordered(column):
    unknown = [lv for lv in column if lv not in ORDER]
    if unknown:
        raise ValueError(f'unknown level(s) {unknown}: levels are '
                         f'{ORDER[0]}..{ORDER[-1]}')
    return sorted(column, key=ORDER.index)


#: the levels a height-based (Genant) grade is given for: T4-L4, the range
#: of Genant's semiquantitative method (Genant et al., J Bone Miner Res
#: 1993, and vertebral fracture assessment since). Above T4 the vertebrae
#: are small and change shape from level to level (C7-T1, C2-C3: a
#: neighbour comparison calls normal anatomy a fracture), and L5 is wedged
#: by nature.
GRADED_LEVELS = tuple(['T%d' % i for i in range(4, 13)] +
                      ['L%d' % i for i in range(1, 5)])


def genant_column(column, spacing=1.0):
    """Genant grades of a lateral column (4 corners per vertebra, the
    mid-points taken as endplate centres), for :data:`GRADED_LEVELS` only;
    other levels are ``'not graded'``. Returns a list of dicts (level,
    grade, loss, type, heights) superior first."""
    from ..anatomy import lateral4_to_six
    from .genant import assess_column
    levels = [lv for lv in _ordered(column)
              if np.isfinite(np.asarray(column[lv], float)).all()]
    if not levels:
        return []
    six = lateral4_to_six(np.stack([column[lv] for lv in levels]))
    res = assess_column(six, spacing, levels=levels)
    out = []
    for m in sorted(res, key=lambda m: levels.index(m.level)):
        graded = m.level in GRADED_LEVELS
        out.append(dict(level=m.level,
                        grade=m.grade if graded else 'not graded',
                        loss=m.height_loss if graded else None,
                        type=m.fracture_type if graded else None))
    return out
