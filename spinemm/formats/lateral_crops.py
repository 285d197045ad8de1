"""Partial-spine films made from full-spine ones: the lumbar or cervical
part of each film of a lateral full-spine folder, cut out with its points,
written in the same layout (:mod:`spinemm.formats.lateral_fullspine`).

Users bring lumbar-only and cervical-only films; the real films here all
show C2 to S1. A cut-out is a film of the same patient at the same
resolution whose field of view ends where a lumbar (T11 to the sacrum) or
cervical (the dens to T2) film would, so a model can be trained to expect
such films (``configs/vertebra_lateral``: random cut-outs in training) and
scored on them (``eval_lateral.py`` on the written folder). It is not a film
taken as a lumbar film: no collimation edge, no magnification of its own.
"""
import json
import os.path as osp

import numpy as np

from .lateral_fullspine import (COLUMN_LEVELS, POINT_NAMES, _corner_slots,
                                read_lateral_fullspine)

#: the first and last level of each field of view, and the margins above
#: and below them in vertebral heights (the sacrum below S1's endplate, the
#: dens and C1 above C2's inferior endplate)
REGIONS = dict(lumbar=('T11', 'S1', 0.6, 1.5),
               cervical=('C2', 'T2', 2.2, 0.6))
#: width / height of the cut-out (a portrait cassette, 35 x 43 cm), centred
#: on the region's vertebrae; the film's width where it is narrower
ASPECT = 0.85


def _height(column, lv):
    c = column[lv]
    return float(np.nanmean(c[2:, 1]) - np.nanmean(c[:2, 1]))


def crop_window(film, region):
    """(top, bottom, left, right) of ``region`` on ``film`` (a
    :func:`read_lateral_fullspine` record), inside the film."""
    first, last, above, below = REGIONS[region]
    col = film['column']
    # the height that sets the margins: the nearest vertebra with 4 corners
    i0, i1 = COLUMN_LEVELS.index(first), COLUMN_LEVELS.index(last)
    h_top = _height(col, COLUMN_LEVELS[max(i0, 1)])
    h_bot = _height(col, COLUMN_LEVELS[min(i1, len(COLUMN_LEVELS) - 2)])
    if not (np.isfinite(h_top) and np.isfinite(h_bot)) or \
            not np.isfinite(col[first]).any() or \
            not np.isfinite(col[last]).any():
        raise ValueError(f'{film["image"]}: {first}..{last} are not '
                         f'annotated: no {region} cut-out')
    top = int(max(0, np.floor(np.nanmin(col[first][:, 1]) - above * h_top)))
    bottom = int(min(film['height'], np.ceil(
        np.nanmax(col[last][:, 1]) + below * h_bot)))
    width = min(film['width'], int(round(ASPECT * (bottom - top))))
    xs = np.concatenate([col[lv][:, 0] for lv in COLUMN_LEVELS[i0:i1 + 1]])
    left = int(round(np.nanmean(xs) - width / 2))
    left = min(max(0, left), film['width'] - width)
    return top, bottom, left, left + width


def crop_lateral_films(root, out, region='lumbar', overwrite=False,
                       implants=None):
    """Write the ``region`` cut-out of every film of ``root`` to ``out``
    (images/<same name>, annotations.json). A vertebra keeps its points
    when all of them lie in the cut-out; the others are not annotated
    (visibility 0), as on a partial film. ``implants``: a seed; each film
    then gets fusion hardware painted over 2-5 of its vertebrae
    (:func:`spinemm.synthesis.implants.paint_fusion`, seeded per film; the
    levels are listed under ``images[i]['implants']``). Returns the number
    of films."""
    import cv2

    from ..utils.atomic import atomic_dir
    if region not in REGIONS:
        raise ValueError(f'region must be one of {sorted(REGIONS)}, not '
                         f'{region!r}')
    films = read_lateral_fullspine(root)
    slots = _corner_slots()
    images, anns = [], []
    with atomic_dir(out, 'lateral_crops', overwrite, inputs=[root]) as tmp:
        import os
        os.makedirs(osp.join(tmp, 'images'))
        for i, film in enumerate(films, 1):
            top, bottom, left, right = crop_window(film, region)
            img = cv2.imread(film['image'], cv2.IMREAD_GRAYSCALE)[
                top:bottom, left:right]
            lo, hi = np.array([left, top]), np.array([right, bottom])
            keep = set()
            for lv, c in film['column'].items():
                pts = c[np.isfinite(c).all(1)]
                if len(pts) and ((pts >= lo) & (pts <= hi)).all():
                    keep.add(lv)
            fused = []
            if implants is not None:
                from ..synthesis.implants import paint_fusion
                levels = [lv for lv in COLUMN_LEVELS if lv in keep and
                          np.isfinite(film['column'][lv]).all()]
                corners = np.array([film['column'][lv] - [left, top]
                                    for lv in levels])
                run = paint_fusion(img, corners, np.random.RandomState(
                    int(implants) + i), num_levels=(2, 5))
                fused = [levels[j] for j in run]
            kps = []
            for lv, k in slots:
                x, y = film['column'][lv][k]
                kps += [round(float(x) - left, 3), round(float(y) - top, 3),
                        2] \
                    if lv in keep else [0, 0, 0]
            cv2.imwrite(osp.join(tmp, 'images', film['name']), img)
            images.append(dict(id=i, file_name=film['name'], implants=fused,
                               width=int(img.shape[1]),
                               height=int(img.shape[0]),
                               crop=dict(region=region, top=top, left=left,
                                         source_height=film['height'],
                                         source_width=film['width'])))
            anns.append(dict(id=i, image_id=i, category_id=1, keypoints=kps,
                             num_keypoints=int(sum(v > 0
                                                   for v in kps[2::3])),
                             bbox=[0, 0, int(img.shape[1]),
                                   int(img.shape[0])],
                             iscrowd=0, area=float(img.shape[0] *
                                                   img.shape[1])))
        cats = [dict(id=1, name='full', supercategory='spine',
                     keypoints=list(POINT_NAMES), skeleton=[])]
        with open(osp.join(tmp, 'annotations.json'), 'w') as fh:
            json.dump(dict(info=dict(description=(
                f'{region} cut-outs of the films of {osp.abspath(root)} '
                '(spinemm.formats.lateral_crops)')), categories=cats,
                images=images, annotations=anns), fh)
    return len(films)
