"""AASCE 2019 / SpineWeb dataset 16: AP spine radiographs with 68 landmarks.

Published layout (the challenge's training and test splits each)::

    <root>/images/<name>.jpg                 8-bit grey AP radiographs
    <root>/labels/<name>.jpg.mat             p2: 68 x 2 pixel (x, y), per
                                             vertebra T1..L5: top-left,
                                             top-right, bottom-left,
                                             bottom-right (image coordinates)
    <root>/labels/filenames.csv              the film order of the two below
    <root>/labels/landmarks.csv              per film 68 x (/ width), 68 y
                                             (/ height)
    <root>/labels/angles.csv                 per film the three Cobb angles
                                             (degrees) the organisers
                                             computed from the landmarks

Wu H. et al., "Automatic landmark estimation for adolescent idiopathic
scoliosis assessment using BoostNet", MICCAI 2017. File names carry a patient
number (``sunhl-1th-<date>-<patient> <letter> AP.jpg``): several films per
patient, so splits are grouped by patient (:func:`patient_of`).

The corners are in :data:`spinemm.anatomy.AP_KEYPOINT_NAMES` order (image left
is the patient's right on an AP film).
"""
import csv
import os
import os.path as osp
import re
import warnings

import numpy as np

from ..anatomy import AASCE_LEVELS
from ..io.film import check_decodes_whole

NUM_LANDMARKS = 68
#: tolerance (px) between a film's .mat landmarks and its landmarks.csv row
CSV_TOLERANCE_PX = 1.0
#: tolerance (degrees) between a film's published Cobb angles and those
#: computed from its landmarks: on all 481 published training films they
#: agree to 0.005 deg (measured: 0.0049 at most; the organisers' MATLAB in
#: double precision), so 0.1 is a 20x margin, while the angles of adjacent
#: rows differ by 15.1 deg (median of the largest of the three; 0.64 at
#: least): any swap of two rows is caught
ANGLE_TOLERANCE_DEG = 0.1


def _read_rows(path, width=None):
    if not osp.isfile(path):
        raise FileNotFoundError(f'AASCE file not found: {path}')
    with open(path, newline='') as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    if width is not None:
        for i, r in enumerate(rows, 1):
            if len(r) != width:
                raise ValueError(f'{path}, row {i}: {len(r)} values, '
                                 f'expected {width}')
    return rows


def check_published_angles(published, landmarks, height, where):
    """Raise ValueError naming ``where`` when the published Cobb angles of a
    film differ from those computed from its own landmarks by more than
    :data:`ANGLE_TOLERANCE_DEG`: the organisers computed them from these
    landmarks, so a larger difference means the rows of ``angles.csv`` are
    not in the order of ``filenames.csv`` (two rows swapped, a row missing)
    and every film after would be scored against another's angles."""
    from ..morphometry.cobb import cobb_angles
    computed = cobb_angles(landmarks, height)['angles']
    off = float(np.abs(np.asarray(published, float) - computed).max())
    if not off <= ANGLE_TOLERANCE_DEG:
        raise ValueError(
            f'{where}: the published Cobb angles '
            f'{np.round(published, 2).tolist()} differ from those of the '
            f"film's own landmarks {np.round(computed, 2).tolist()} by "
            f'{off:.2f} deg (tolerance {ANGLE_TOLERANCE_DEG} deg): '
            'angles.csv is not in the order of filenames.csv')


def patient_of(name):
    """The patient key of a film name: its patient number, or the name."""
    m = re.search(r'-(\d+)\s+[A-Za-z]+\s+AP\.jpg$', name)
    if m:
        return m.group(1)
    m = re.search(r'(coronal\d+)', name)
    return m.group(1) if m else osp.splitext(name)[0]


def read_landmarks_mat(path):
    """(68, 2) float pixel landmarks from one ``.mat`` file."""
    from scipy.io import loadmat
    if not osp.isfile(path):
        raise FileNotFoundError(f'AASCE label file not found: {path}')
    try:
        mat = loadmat(path)
    except Exception as e:  # scipy raises several types
        raise ValueError(f'{path} is not a readable .mat file: {e}') from e
    if 'p2' not in mat:
        keys = sorted(k for k in mat if not k.startswith('__'))
        raise ValueError(f'{path}: no variable p2 (found {keys}); AASCE '
                         'labels hold p2 = 68 x 2 landmarks')
    p2 = np.asarray(mat['p2'], float)
    if p2.shape != (NUM_LANDMARKS, 2):
        raise ValueError(f'{path}: p2 has shape {p2.shape}, expected '
                         f'({NUM_LANDMARKS}, 2) = 17 vertebrae x 4 corners')
    if not np.isfinite(p2).all():
        raise ValueError(f'{path}: p2 holds NaN/inf landmarks')
    return p2


def read_aasce(root, check_images=True, progress=False):
    """Every film of an AASCE split.

    Returns:
        list of dict(name, image, label, patient, width, height,
        landmarks=(68, 2) px, corners=(17, 4, 2) px as published,
        column=(17, 4, 2) px the same vertebrae head to foot (they differ
        in the 18 films whose list puts the top vertebra last;
        head_to_foot=False there, warned about), angles=(3,) degrees,
        outside=indices of landmarks outside the image, disordered=levels
        whose corners are not in the documented order; both warned about
        and kept as published), in filenames.csv order.

    Raises:
        FileNotFoundError / ValueError naming the file: a missing image or
        .mat, a .mat without p2 or with another shape, CSV files whose rows
        disagree in number with filenames.csv, a landmarks.csv row that does
        not match its .mat.
    """
    import cv2
    labels = osp.join(root, 'labels')
    names = [r[0].strip() for r in _read_rows(osp.join(labels,
                                                       'filenames.csv'))]
    if not names:
        raise ValueError(f'{labels}/filenames.csv lists no film')
    angles = _read_rows(osp.join(labels, 'angles.csv'), 3)
    marks = _read_rows(osp.join(labels, 'landmarks.csv'), 2 * NUM_LANDMARKS)
    for what, rows in (('angles.csv', angles), ('landmarks.csv', marks)):
        if len(rows) != len(names):
            raise ValueError(f'{labels}/{what} has {len(rows)} rows but '
                             f'filenames.csv lists {len(names)} films')
    images = set(os.listdir(osp.join(root, 'images'))) if osp.isdir(
        osp.join(root, 'images')) else set()
    unlabelled = sorted(images - set(names))
    if check_images and unlabelled:
        raise ValueError(f'{root}/images holds {len(unlabelled)} film(s) '
                         f'without labels in filenames.csv, e.g. '
                         f'{unlabelled[:3]}')
    from tqdm import tqdm
    films = []
    for i, name in enumerate(tqdm(names, desc='AASCE films', unit='film',
                                  disable=not progress)):
        image = osp.join(root, 'images', name)
        if name not in images:
            raise FileNotFoundError(f'{image} (listed in filenames.csv, row '
                                    f'{i + 1}) not found')
        label = osp.join(labels, name + '.mat')
        p2 = read_landmarks_mat(label)
        h = w = None
        if check_images:
            check_decodes_whole(image)  # a truncated film: named, not read
            img = cv2.imread(image, cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise ValueError(f'{image} is not a readable image')
            h, w = img.shape
            out = np.nonzero((p2[:, 0] < 0) | (p2[:, 0] > w) |
                             (p2[:, 1] < 0) | (p2[:, 1] > h))[0]
            if len(out):
                # the published labels have one such corner (an L4 corner
                # 57 px below the film's edge): kept, as the published
                # angles use it, but said
                warnings.warn(f'{label}: landmark(s) {out.tolist()} lie '
                              f'outside the {w}x{h} image {image}')
            row = np.array(marks[i], float)
            csv_xy = np.stack([row[:NUM_LANDMARKS] * w,
                               row[NUM_LANDMARKS:] * h], 1)
            off = float(np.abs(csv_xy - p2).max())
            if off > CSV_TOLERANCE_PX:
                raise ValueError(
                    f'{labels}/landmarks.csv row {i + 1} ({name}) differs '
                    f'from {label} by {off:.1f} px: the files are not in '
                    'the same order')
        c = p2.reshape(17, 4, 2)
        disordered = np.nonzero(~((c[:, 2, 1] > c[:, 0, 1]) &
                                  (c[:, 3, 1] > c[:, 1, 1]) &
                                  (c[:, 1, 0] > c[:, 0, 0]) &
                                  (c[:, 3, 0] > c[:, 2, 0])))[0]
        if len(disordered):
            # 6 published films have one such vertebra: kept as published
            # (the published angles use them), but said
            warnings.warn(f'{label}: the corners of vertebra(e) '
                          f'{[AASCE_LEVELS[v] for v in disordered]} are not '
                          'in top-left, top-right, bottom-left, bottom-right '
                          'order')
        # 18 published films list the top vertebra last (by height the
        # list is 16, 0, 1, ..., 15): the list is rotated by one.
        # ``corners`` stays as published (the published angles were
        # computed from it); ``column`` undoes the rotation: head to foot,
        # what a model learns and is scored against. Any other order
        # (5 films: a vertebra spanning the film, L5 above L4, T1 below T2) is
        # kept in both and warned about: no rule here would be sure.
        order = np.argsort(c.mean(1)[:, 1], kind='stable')
        rotated = order.tolist() == [16] + list(range(16))
        if rotated:
            warnings.warn(f'{label}: the top vertebra is listed last (the '
                          "list is rotated by one); 'corners' keeps the "
                          "published order, 'column' is head to foot")
        elif (order != np.arange(17)).any():
            warnings.warn(f'{label}: the vertebrae are not listed head to '
                          f'foot (by height the list order is '
                          f'{order.tolist()}); kept as published')
        column = c[order] if rotated else c
        try:
            ang = np.array(angles[i], float)
        except ValueError as e:
            raise ValueError(f'{labels}/angles.csv row {i + 1}: {e}') from e
        if h is not None:
            check_published_angles(ang, p2, h, f'{labels}/angles.csv row '
                                   f'{i + 1} ({name})')
        films.append(dict(name=name, image=image, label=label,
                          patient=patient_of(name), width=w, height=h,
                          landmarks=p2, corners=p2.reshape(17, 4, 2),
                          column=column, head_to_foot=not rotated,
                          angles=ang, levels=AASCE_LEVELS,
                          outside=[] if h is None else out.tolist(),
                          disordered=[AASCE_LEVELS[v] for v in disordered]))
    return films


def patient_split(films, val_fraction=0.2, seed=0):
    """(train names, val names): whole patients to each side, about
    ``val_fraction`` of the films to validation, seeded."""
    patients = sorted({f['patient'] for f in films})
    rng = np.random.default_rng(seed)
    rng.shuffle(patients)
    per = {}
    for f in films:
        per.setdefault(f['patient'], []).append(f['name'])
    target = val_fraction * len(films)
    val, n = set(), 0
    for p in patients:
        if n >= target:
            break
        val.add(p)
        n += len(per[p])
    train = [f['name'] for f in films if f['patient'] not in val]
    return train, [f['name'] for f in films if f['patient'] in val]


def aasce_to_coco(root, out, val_fraction=0.2, seed=0, overwrite=False,
                  progress=True):
    """Write ``out/annotations/{train,val}.json`` (COCO vertebra json, AP
    scheme) from an AASCE split: one instance per vertebra with its
    ``level``, box = corner extents, polygon = the four corners, 4
    keypoints; images keep ``patient`` and the published ``cobb_angles``.
    ``file_name`` is the film's name, relative to ``root/images``. Films of
    one patient never straddle train and val. Returns the summary."""
    from ..anatomy import AP_KEYPOINT_NAMES, AP_SKELETON
    from ..utils import atomic_dir, atomic_write_json, check_replaceable
    from ..utils.atomic import check_no_overlap
    from .coco_vertebra import coco_categories, vertebra_annotation
    check_no_overlap(out, [root], allow_inside=True)
    check_replaceable(out, 'aasce2coco', overwrite)
    films = read_aasce(root, progress=progress)
    train, val = patient_split(films, val_fraction, seed)
    by_name = {f['name']: f for f in films}
    split_of = {n: 'train' for n in train}
    split_of.update({n: 'val' for n in val})
    cats = coco_categories(keypoint_names=AP_KEYPOINT_NAMES,
                           skeleton=AP_SKELETON)
    cocos = {s: dict(images=[], annotations=[], categories=cats,
                     info=dict(description='AASCE 2019 (SpineWeb 16) '
                               'converted by spinemm', root=osp.abspath(root),
                               split=s, seed=seed,
                               keypoint_names=list(AP_KEYPOINT_NAMES)))
             for s in ('train', 'val')}
    ann_id = 0
    for img_id, f in enumerate(films, 1):
        coco = cocos[split_of[f['name']]]
        coco['images'].append(dict(
            id=img_id, file_name=f['name'], width=f['width'],
            height=f['height'], patient=f['patient'],
            head_to_foot=f['head_to_foot'],
            cobb_angles=[round(float(a), 4) for a in f['angles']]))
        for level, c in zip(f['levels'], f['column']):
            ann_id += 1
            polygon = c[[0, 1, 3, 2]]  # TL, TR, BR, BL: around the body
            coco['annotations'].append(vertebra_annotation(
                ann_id, img_id, polygon, c, level=level))
    # the same films with the whole spine as one 68-keypoint instance, its
    # box the whole film (for whole-spine landmark models)
    spine_cats = [dict(id=1, name='spine', supercategory='spine',
                       keypoints=[f'{lv}_{c}' for lv in AASCE_LEVELS
                                  for c in AP_KEYPOINT_NAMES], skeleton=[])]
    spines = {}
    for s, coco in cocos.items():
        spines[s] = dict(coco, categories=spine_cats, annotations=[])
        for im in coco['images']:
            f = by_name[im['file_name']]
            kps = np.concatenate([f['column'].reshape(68, 2),
                                  np.full((68, 1), 2.0)], 1)
            spines[s]['annotations'].append(dict(
                id=im['id'], image_id=im['id'], category_id=1, iscrowd=0,
                bbox=[0, 0, f['width'], f['height']],
                area=float(f['width'] * f['height']),
                keypoints=kps.round(3).ravel().tolist(), num_keypoints=68))
    with atomic_dir(out, 'aasce2coco', overwrite, inputs=[root],
                    allow_inside=True) as tmp:
        for s, coco in cocos.items():
            atomic_write_json(osp.join(tmp, 'annotations', f'{s}.json'), coco)
            atomic_write_json(osp.join(tmp, 'annotations', f'{s}_spine.json'),
                              spines[s])
    return dict(films=len(films), train=len(train), val=len(val),
                patients=len({f['patient'] for f in films}),
                vertebrae=ann_id)
