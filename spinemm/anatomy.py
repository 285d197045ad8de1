"""Anatomical vocabulary shared by datasets, phantoms, models and metrics.

Keypoint identity is anatomical, not geometric. The six names follow SpineTK and
are defined in the standard lateral display (patient facing image-left):

==============  ==========================================
bottom_left     inferior endplate, anterior corner
bottom_middle   inferior endplate, mid-point
bottom_right    inferior endplate, posterior corner
top_right       superior endplate, posterior corner
top_middle      superior endplate, mid-point
top_left        superior endplate, anterior corner
==============  ==========================================

A patient facing image-right has ``bottom_left`` on the image's right-hand side: a
horizontal flip moves the points and keeps their names (so the flip-pair list of
a keypoint model is empty), because morphometry needs anterior vs posterior.
"""
import numpy as np

KEYPOINT_NAMES = ('bottom_left', 'bottom_middle', 'bottom_right', 'top_right',
                  'top_middle', 'top_left')

#: OKS sigmas (COCO keypoint AP), shared by the detector and the pose model.
#: Corners are sharp landmarks (COCO gives its sharpest, the eyes, 0.025);
#: endplate mid-points are defined only up to a slide along the endplate, so
#: they get a looser 0.035. With s = sqrt(box area), a point off by 2 * sigma
#: * s (about 1.4 px for a 28 px vertebra, sigma 0.025) scores exp(-1/2).
OKS_SIGMAS = (0.025, 0.035, 0.025, 0.025, 0.035, 0.025)

#: COCO-style skeleton (1-based indices): the outline of the vertebral body.
SKELETON = [[1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 1]]

#: The AP (frontal) scheme: four corners of each vertebral body on an
#: anterior-posterior radiograph, named by anatomy. In the standard display
#: of an AP film the patient faces the viewer, so the patient's right is on
#: the image's left: the corners are, per vertebra, superior/inferior x
#: patient right/left. Unlike the lateral scheme above, a horizontal flip of
#: an AP film moves the patient's right corners to where the left ones were
#: (the film now looks like a PA film of a mirrored spine), so after a flip
#: the points must swap names (:data:`AP_FLIP_PAIRS`) for "right" to stay
#: the patient's right. The AASCE 2019 / SpineWeb 16 landmarks are given per
#: vertebra as top-left, top-right, bottom-left, bottom-right in image
#: coordinates, which is this order.
AP_KEYPOINT_NAMES = ('superior_right', 'superior_left', 'inferior_right',
                     'inferior_left')
#: index pairs swapped by a horizontal flip (0-based)
AP_FLIP_PAIRS = ((0, 1), (2, 3))
#: outline of the body (1-based, COCO style): sup R - sup L - inf L - inf R
AP_SKELETON = [[1, 2], [2, 4], [4, 3], [3, 1]]
#: corners are sharp landmarks, as in the lateral scheme
AP_OKS_SIGMAS = (0.025, 0.025, 0.025, 0.025)
#: the 17 vertebrae an AASCE film is annotated on, superior first
AASCE_LEVELS = tuple(['T%d' % i for i in range(1, 13)] +
                     ['L%d' % i for i in range(1, 6)])


def flip_ap_keypoints(keypoints, width):
    """Horizontally flip AP keypoints (..., 4, >=2) in an image ``width``
    pixels wide: x -> width - x, and each right/left pair swaps names."""
    k = np.array(keypoints, dtype=float, copy=True)
    k[..., 0] = width - k[..., 0]
    for a, b in AP_FLIP_PAIRS:
        k[..., [a, b], :] = k[..., [b, a], :]
    return k


#: The lateral 4-corner scheme: the corners of each vertebral body on a
#: lateral film, superior/inferior x posterior/anterior, as the real
#: full-spine films (``spinemm.formats.lateral_fullspine``) annotate them
#: (``TB``, ``TF``, ``BB``, ``BF``: top/bottom x back/front). Names are
#: anatomical, as in the 6-keypoint lateral scheme: a horizontal flip moves
#: the points and keeps their names (no flip pairs). The four corners are
#: SpineTK's corners (``top_right`` / ``top_left`` / ``bottom_right`` /
#: ``bottom_left`` of a film facing image-left: :data:`LATERAL4_TO_SIX`);
#: SpineTK's two endplate mid-points are not annotated here, and heights
#: that need them are taken between the endplate centres (the mean of each
#: endplate's two corners) and labelled so.
LATERAL4_KEYPOINT_NAMES = ('superior_posterior', 'superior_anterior',
                           'inferior_posterior', 'inferior_anterior')
#: outline (1-based, COCO style): sup post - sup ant - inf ant - inf post
LATERAL4_SKELETON = [[1, 2], [2, 4], [4, 3], [3, 1]]
LATERAL4_OKS_SIGMAS = (0.025, 0.025, 0.025, 0.025)
#: for each of :data:`KEYPOINT_NAMES`, the lateral corners whose mean it is
#: (a corner: itself; a mid-point: the endplate's two corners)
LATERAL4_TO_SIX = ((3, ), (2, 3), (2, ), (0, ), (0, 1), (1, ))


def lateral4_to_six(corners):
    """(..., 4, 2) lateral corners -> (..., 6, 2) points of the 6-keypoint
    scheme (:data:`KEYPOINT_NAMES`), the mid-points as endplate centres."""
    c = np.asarray(corners, dtype=float)
    return np.stack([c[..., list(idx), :].mean(-2) for idx in LATERAL4_TO_SIX],
                    axis=-2)


#: Vertebral levels from skull to sacrum, including the transitional T13 and L6
#: that VerSe annotates.
LEVELS = (['C%d' % i for i in range(1, 8)] + ['T%d' % i for i in range(1, 14)] +
          ['L%d' % i for i in range(1, 7)] + ['S1'])

#: The common column (no transitional vertebrae) that the phantoms draw from.
TYPICAL_LEVELS = (['C%d' % i for i in range(3, 8)] +
                  ['T%d' % i for i in range(1, 13)] +
                  ['L%d' % i for i in range(1, 6)])

#: Genant semi-quantitative grade from fractional height loss: upper bounds
#: (inclusive) of grades 0, 1 and 2; anything above the last bound is grade 3.
#: Genant et al. 1993 (J Bone Miner Res 8:1137) give grade 1 as a reduction
#: of approximately 20-25 %, grade 2 25-40 % and grade 3 above 40 %; a loss
#: exactly on a boundary takes the lower grade (20 % -> 0, 25 % -> 1,
#: 40 % -> 2), as "> 40 %" reads.
GENANT_BOUNDS = (0.20, 0.25, 0.40)

FRACTURE_TYPES = ('wedge', 'biconcave', 'crush')

#: float slack when comparing a height loss with a boundary (a loss computed
#: as 1 - 24/30 must count as exactly 20 %)
_BOUND_EPS = 1e-9


def genant_grade(height_loss: float) -> int:
    """Genant grade (0-3) of a fractional height loss (0.3 means 30 %):
    0 for loss <= 20 %, 1 for 20 % < loss <= 25 %, 2 for 25 % < loss <= 40 %,
    3 above 40 % (see :data:`GENANT_BOUNDS`)."""
    for grade, bound in enumerate(GENANT_BOUNDS):
        if height_loss <= bound + _BOUND_EPS:
            return grade
    return 3


#: VerSe label -> level name (26 is the sacrum, 28 the transitional T13;
#: 27, the coccyx, has no level). VerSe 2019/2020 masks use these numbers.
VERSE_LEVELS = {
    **{i: f'C{i}' for i in range(1, 8)},
    **{i + 7: f'T{i}' for i in range(1, 13)},
    **{i + 19: f'L{i}' for i in range(1, 7)}, 26: 'S1', 28: 'T13'
}

#: spellings of the thoracic prefix seen in annotations (``Th12``, ``TH12``,
#: ``D12`` for dorsal)
_THORACIC = ('TH', 'T', 'D')


def normalize_level(name):
    """A level name as :data:`LEVELS` spells it, or None when unknown.

    Accepts ``C1``-``C7``, ``T1``-``T13`` and its aliases ``Th1``/``TH1``/
    ``D1``, ``L1``-``L6``, ``S1``/``S``/``sacrum``, any case and spaces or
    hyphens (``T 12``, ``L-1``), and VerSe label numbers (``20`` or ``'20'``
    is L1; see :data:`VERSE_LEVELS`).
    """
    if name is None:
        return None
    if isinstance(name, (int, np.integer)) or (
            isinstance(name, str) and name.strip().isdigit()):
        return VERSE_LEVELS.get(int(name))
    text = str(name).strip().upper().replace(' ', '').replace('-', '')
    if text in ('S', 'SACRUM', 'S1'):
        return 'S1'
    for prefix in _THORACIC:
        if text.startswith(prefix) and text[len(prefix):].isdigit():
            level = f'T{int(text[len(prefix):])}'
            return level if level in LEVELS else None
    if text[:1] in 'CL' and text[1:].isdigit():
        level = f'{text[0]}{int(text[1:])}'
        return level if level in LEVELS else None
    return None


def column_ranks(levels):
    """Positions of ``levels`` (canonical names) along the column actually
    present: consecutive ranks are adjacent vertebrae. T12 and L1 are
    adjacent unless a T13 is among ``levels``; L5 and S1 unless an L6 is."""
    present = set(levels)
    column = [lv for lv in LEVELS
              if not ((lv == 'T13' and 'T13' not in present) or
                      (lv == 'L6' and 'L6' not in present))]
    return [column.index(lv) for lv in levels]
