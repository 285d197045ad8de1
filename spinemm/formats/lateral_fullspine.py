"""Lateral full-spine films with vertebra corners, C2 to S1.

The layout (COCO keypoints, one instance per film)::

    <root>/images/<name>.png          8-bit grey lateral films
    <root>/annotations.json           category 'full': 92 named points

Point names: ``C2BB``, ``C2BF`` (C2's inferior endplate), then for each
vertebra C3..L5 ``TB``, ``TF``, ``BB``, ``BF``, then ``S1TB``, ``S1TF``
(S1's superior endplate). First letter T/B: top (superior) / bottom
(inferior) endplate; second letter B/F: back (posterior) / front (anterior)
corner. A point with visibility 0 is not annotated (a lumbar film annotates
T12-S1 only, say).

:func:`read_lateral_fullspine` checks the whole file and returns, per film,
its column as ``{level: (4, 2) corners}`` in the order of
:data:`spinemm.anatomy.LATERAL4_KEYPOINT_NAMES` (C2: superior corners NaN;
S1: inferior corners NaN). :func:`lateral_to_coco` writes the per-vertebra
and whole-spine COCO files of a fixed, patient-free split into folds.
"""
import os
import os.path as osp

import numpy as np

from ..anatomy import LATERAL4_KEYPOINT_NAMES
from ..utils import read_json

#: the vertebrae annotated with four corners, superior first
LATERAL_LEVELS = tuple(['C%d' % i for i in range(3, 8)] +
                       ['T%d' % i for i in range(1, 13)] +
                       ['L%d' % i for i in range(1, 6)])
#: the column a film may show, C2 and S1 by one endplate
COLUMN_LEVELS = ('C2', ) + LATERAL_LEVELS + ('S1', )
#: data name suffix of each corner of LATERAL4_KEYPOINT_NAMES
_SUFFIX = ('TB', 'TF', 'BB', 'BF')
#: the 92 point names of the layout, in their order
POINT_NAMES = tuple(['C2BB', 'C2BF'] +
                    [lv + s for lv in LATERAL_LEVELS for s in _SUFFIX] +
                    ['S1TB', 'S1TF'])


def _corner_slots():
    """(level, corner index) of each of the 92 points."""
    slots = [('C2', 2), ('C2', 3)]
    slots += [(lv, k) for lv in LATERAL_LEVELS for k in range(4)]
    slots += [('S1', 0), ('S1', 1)]
    return slots


def read_lateral_fullspine(root, check_images=True):
    """Every film of a lateral full-spine folder, checked.

    Returns:
        list of dict(name, image, width, height, column={level: (4, 2)
        float array, NaN where not annotated}, levels=[annotated levels C3..L5
        with all four corners, superior first], partial=[levels with some
        corners only]).

    Raises:
        ValueError / FileNotFoundError naming the file: a category whose
        point names are not the 92 of the layout, a point list of another
        length, an image missing or of another size than the json says, a
        point outside its film, a film listed twice.
    """
    import cv2
    ann_path = osp.join(root, 'annotations.json')
    data = read_json(ann_path, 'lateral full-spine annotations.json')
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(data, dict) or key not in data:
            raise ValueError(f'{ann_path}: no {key!r} list (COCO keypoints '
                             'layout expected)')
    cats = {c['id']: c for c in data['categories']}
    for c in cats.values():
        if tuple(c.get('keypoints', ())) != POINT_NAMES:
            raise ValueError(
                f'{ann_path}: category {c.get("name")!r} names '
                f'{len(c.get("keypoints", ()))} points, not the 92 of the '
                'layout (C2BB, C2BF, C3TB ... L5BF, S1TB, S1TF)')
    images = {}
    for im in data['images']:
        if im['id'] in images:
            raise ValueError(f'{ann_path}: image id {im["id"]} listed twice')
        images[im['id']] = im
    slots = _corner_slots()
    films, seen = [], set()
    for a in sorted(data['annotations'], key=lambda a: a['image_id']):
        im = images.get(a['image_id'])
        if im is None:
            raise ValueError(f'{ann_path}: annotation {a.get("id")} names '
                             f'image id {a["image_id"]}, which is not listed')
        name = im['file_name']
        if name in seen:
            raise ValueError(f'{ann_path}: {name} has more than one '
                             'annotation')
        seen.add(name)
        kps = np.asarray(a.get('keypoints', ()), float)
        if kps.size != 3 * len(POINT_NAMES):
            raise ValueError(f'{ann_path}: {name} has {kps.size // 3} '
                             f'points, not {len(POINT_NAMES)}')
        kps = kps.reshape(-1, 3)
        image = osp.join(root, 'images', name)
        w, h = int(im['width']), int(im['height'])
        if check_images:
            if not osp.isfile(image):
                raise FileNotFoundError(f'{image} (listed in {ann_path}) '
                                        'not found')
            from ..io.film import check_decodes_whole
            check_decodes_whole(image)
            shape = cv2.imread(image, cv2.IMREAD_GRAYSCALE).shape
            if shape != (h, w):
                raise ValueError(f'{image} is {shape[1]}x{shape[0]} px but '
                                 f'{ann_path} says {w}x{h}')
        vis = kps[:, 2] > 0
        xy = kps[:, :2]
        out = np.nonzero(vis & ((xy[:, 0] < 0) | (xy[:, 0] > w) |
                                (xy[:, 1] < 0) | (xy[:, 1] > h)))[0]
        if len(out):
            raise ValueError(
                f'{ann_path}: {name}: point(s) '
                f'{[POINT_NAMES[i] for i in out[:5]]} lie outside the '
                f'{w}x{h} film')
        column = {lv: np.full((4, 2), np.nan) for lv in COLUMN_LEVELS}
        for i, (lv, k) in enumerate(slots):
            if vis[i]:
                column[lv][k] = xy[i]
        full = [lv for lv in LATERAL_LEVELS
                if np.isfinite(column[lv]).all()]
        partial = [lv for lv in LATERAL_LEVELS
                   if lv not in full and np.isfinite(column[lv]).any()]
        films.append(dict(name=name, image=image, width=w, height=h,
                          column=column, levels=full, partial=partial))
    if not films:
        raise ValueError(f'{ann_path}: no annotated film')
    return films


def film_folds(films, n_folds=4, seed=0):
    """``{film name: fold}``: a fixed split of the films into ``n_folds``
    folds of (nearly) equal size, from a seeded permutation of the names in
    sorted order (the films carry no patient id: one film, one patient)."""
    names = sorted(f['name'] for f in films)
    order = np.random.RandomState(seed).permutation(len(names))
    return {names[j]: int(i % n_folds) for i, j in enumerate(order)}


def _box(c):
    x0, y0 = c.min(0)
    x1, y1 = c.max(0)
    return [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]


#: COCO categories of the per-vertebra files: C3..L5 are one class;
#: C2 and S1, of which the films annotate one endplate, are classes of
#: their own (the dens and the sacrum make them the column's anchors:
#: :func:`spinemm.morphometry.lateral_levels.lateral_levels` counts the
#: levels from them)
CATEGORIES = ('vertebra', 'C2', 'S1')


def _end_instance(film, lv, ann_id, image_id):
    """C2 (inferior endplate annotated) or S1 (superior endplate) as an
    instance: its two corners with visibility 2, the other two 0; box and
    polygon = the endplate moved along the body's axis by the height of
    its neighbour (C3's for C2, L5's for S1), the endplate width when the
    neighbour is not annotated."""
    col = film['column']
    c = col[lv]
    if lv == 'C2':
        have, nb = c[2:], col['C3']
    else:
        have, nb = c[:2], col['L5']
    if not np.isfinite(have).all():
        return None
    width = np.linalg.norm(have[1] - have[0])
    if np.isfinite(nb).all():  # neighbour's axis: superior -> inferior
        axis = nb[2:].mean(0) - nb[:2].mean(0)
    else:
        e = (have[1] - have[0]) / max(width, 1e-6)
        axis = np.array([-e[1], e[0]]) * width
        if axis[1] < 0:  # y down: inferior is +y
            axis = -axis
    d = -axis if lv == 'C2' else axis
    poly = np.stack([have[0], have[1], have[1] + d, have[0] + d])
    h, w = film['height'], film['width']
    poly = np.clip(poly, 0, [w, h])
    kpts = np.zeros((4, 3))
    idx = [2, 3] if lv == 'C2' else [0, 1]
    kpts[idx, :2] = have
    kpts[idx, 2] = 2
    x, y, bw, bh = _box(poly)
    return dict(id=ann_id, image_id=image_id,
                category_id=CATEGORIES.index(lv) + 1, level=lv,
                bbox=[x, y, bw, bh], area=bw * bh, iscrowd=0,
                segmentation=[[round(float(v), 2) for v in poly.reshape(-1)]],
                keypoints=[round(float(v), 2) for v in kpts.reshape(-1)],
                num_keypoints=2)


def _instances(film, ann_id, image_id):
    """Per-vertebra COCO instances of a film (C2, C3..L5, S1), plus ignore
    regions over the part of the film whose vertebrae are visible but not
    annotated."""
    anns = []
    c2 = _end_instance(film, 'C2', ann_id, image_id)
    if c2 is not None:
        anns.append(c2)
    for lv in film['levels']:
        c = film['column'][lv]
        # polygon around the body: sup post, sup ant, inf ant, inf post
        poly = c[[0, 1, 3, 2]].reshape(-1)
        kpts = np.concatenate([c, np.full((4, 1), 2.0)], 1).reshape(-1)
        x, y, w, h = _box(c)
        anns.append(dict(
            id=ann_id + len(anns), image_id=image_id, category_id=1,
            level=lv, bbox=[x, y, w, h], area=w * h, iscrowd=0,
            segmentation=[[round(float(v), 2) for v in poly]],
            keypoints=[round(float(v), 2) for v in kpts], num_keypoints=4))
    s1 = _end_instance(film, 'S1', ann_id + len(anns), image_id)
    if s1 is not None:
        anns.append(s1)
    for lo, hi in _unannotated_spans(film):
        anns.append(dict(id=ann_id + len(anns), image_id=image_id,
                         category_id=1, level='unannotated',
                         bbox=[0.0, lo, float(film['width']), hi - lo],
                         area=float(film['width']) * (hi - lo), iscrowd=1,
                         segmentation=[[0.0, lo, float(film['width']), lo,
                                        float(film['width']), hi, 0.0, hi]],
                         keypoints=[0.0] * 12, num_keypoints=0))
    return anns


def _unannotated_spans(film):
    """Rows (y0, y1) of the film where vertebrae of C3..L5 lie that the film
    does not annotate (above its first or below its last annotated level,
    when those are not C3 / L5): marked ``iscrowd`` so that a detector does
    not learn them as background. A vertebra missing between annotated ones
    spans the gap between its neighbours."""
    levels = film['levels']
    if not levels:
        return [(0.0, float(film['height']))]
    idx = [LATERAL_LEVELS.index(lv) for lv in levels]
    col = film['column']
    spans = []
    if idx[0] > 0:  # vertebrae above the first annotated one
        spans.append((0.0, float(np.nanmin(col[levels[0]][:, 1]))))
    if idx[-1] < len(LATERAL_LEVELS) - 1:
        spans.append((float(np.nanmax(col[levels[-1]][:, 1])),
                      float(film['height'])))
    for a, b, la, lb in zip(idx, idx[1:], levels, levels[1:]):
        if b - a > 1:
            spans.append((float(np.nanmax(col[la][:, 1])),
                          float(np.nanmin(col[lb][:, 1]))))
    return spans


def lateral_to_coco(root, out, n_folds=4, val_fold=0, seed=0,
                    overwrite=False, films=None):
    """Write ``out/annotations/{train,val}.json`` (one instance per
    annotated vertebra C3..L5: ``level``, the 4 corners as keypoints, box =
    corner extents, polygon; C2 and S1 as classes of their own with their
    annotated endplate, see :data:`CATEGORIES`; unannotated stretches of the column as
    ``iscrowd`` regions) and ``{train,val}_spine.json`` (the whole film as
    one instance with its 92 points, visibility as read), with the films of
    fold ``val_fold`` as val. Every image record carries its ``fold``.
    ``file_name`` is relative to ``root/images``. Returns dict(train, val)
    film counts."""
    from ..utils import atomic_dir, atomic_write_json
    films = films or read_lateral_fullspine(root)
    folds = film_folds(films, n_folds, seed)
    if not 0 <= val_fold < n_folds:
        raise ValueError(f'val_fold {val_fold} is not one of the '
                         f'{n_folds} folds')
    cats = [dict(id=i + 1, name=name, supercategory='spine',
                 keypoints=list(LATERAL4_KEYPOINT_NAMES),
                 skeleton=[[1, 2], [2, 4], [4, 3], [3, 1]])
            for i, name in enumerate(CATEGORIES)]
    spine_cat = dict(id=1, name='spine', supercategory='spine',
                     keypoints=list(POINT_NAMES), skeleton=[])
    slots = _corner_slots()
    counts = {}
    with atomic_dir(out, 'lateral2coco', overwrite, inputs=[root]) as tmp:
        os.makedirs(osp.join(tmp, 'annotations'))
        for split in ('train', 'val'):
            chosen = [f for f in films
                      if (folds[f['name']] == val_fold) == (split == 'val')]
            images, anns, spine = [], [], []
            for i, f in enumerate(sorted(chosen, key=lambda f: f['name'])):
                image_id = i + 1
                images.append(dict(id=image_id, file_name=f['name'],
                                   width=f['width'], height=f['height'],
                                   fold=folds[f['name']]))
                anns += _instances(f, len(anns) + 1, image_id)
                pts = []
                for lv, k in slots:
                    p = f['column'][lv][k]
                    ok = np.isfinite(p).all()
                    pts += [round(float(p[0]), 2) if ok else 0.0,
                            round(float(p[1]), 2) if ok else 0.0,
                            2 if ok else 0]
                spine.append(dict(
                    id=image_id, image_id=image_id, category_id=1,
                    bbox=[0.0, 0.0, float(f['width']), float(f['height'])],
                    area=float(f['width'] * f['height']), iscrowd=0,
                    keypoints=pts, num_keypoints=int(sum(pts[2::3]) // 2)))
            counts[split] = len(images)
            atomic_write_json(
                osp.join(tmp, 'annotations', f'{split}.json'),
                dict(images=images, annotations=anns, categories=cats))
            atomic_write_json(
                osp.join(tmp, 'annotations', f'{split}_spine.json'),
                dict(images=images, annotations=spine,
                     categories=[spine_cat]))
    return counts
