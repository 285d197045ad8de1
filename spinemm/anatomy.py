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

#: Vertebral levels from skull to sacrum, including the transitional T13 and L6
#: that VerSe annotates.
LEVELS = (['C%d' % i for i in range(1, 8)] + ['T%d' % i for i in range(1, 14)] +
          ['L%d' % i for i in range(1, 7)] + ['S1'])

#: The common column (no transitional vertebrae) that the phantoms draw from.
TYPICAL_LEVELS = (['C%d' % i for i in range(3, 8)] +
                  ['T%d' % i for i in range(1, 13)] +
                  ['L%d' % i for i in range(1, 6)])

#: Genant semi-quantitative grade from fractional height loss: upper bounds of
#: grades 0, 1 and 2; anything above the last bound is grade 3.
GENANT_BOUNDS = (0.20, 0.25, 0.40)

FRACTURE_TYPES = ('wedge', 'biconcave', 'crush')


def genant_grade(height_loss: float) -> int:
    """Genant grade (0-3) of a fractional height loss (0.3 means 30 %)."""
    for grade, bound in enumerate(GENANT_BOUNDS):
        if height_loss < bound:
            return grade
    return 3
