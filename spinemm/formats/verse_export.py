"""VerSe -> files other tools read: COCO (mmdet) and image/label PNGs (mmseg).

Both exports write the whole output folder under a temporary name and rename
it when complete; a ``export_info.json`` records the options, so running the
same export again returns at once (idempotent). Different options replace
spinemm's own earlier export only with ``overwrite=True``; a folder spinemm
did not write, or one inside or above the VerSe root, is refused
(:func:`spinemm.utils.atomic_dir`).
"""
import json
import os
import os.path as osp
import warnings

import cv2
import numpy as np
from tqdm import tqdm

from ..anatomy import LEVELS
from ..utils import atomic_dir, atomic_write_json
from ..utils.atomic import (check_no_overlap, check_replaceable,
                              output_kind)
from .coco_vertebra import coco_categories
from .verse import index_verse
from .verse_slices import (labelled_slices, level_classes, seg_classes,
                           slice_instances, take_slab, take_slice)
from .verse_volumes import VerseCaseReader, hu_window


def _already_done(out, options):
    """The stored summary when ``out`` was exported with ``options``."""
    path = osp.join(out, 'export_info.json')
    if output_kind(out) == options['kind'] and osp.isfile(path):
        try:
            with open(path) as f:
                stored = json.load(f)
        except (OSError, ValueError) as e:
            # damaged: not taken as done (exporting again needs --overwrite)
            warnings.warn(f'{path} is not valid JSON ({e}): the earlier '
                          'export there is not reused')
            return None
        if isinstance(stored, dict) and stored.get('options') == options:
            return stored
    return None


def _cases(root, splits):
    cases = [c for c in index_verse(root) if c['mask']
             and (splits is None or c['split'] in splits)]
    if not cases:
        raise FileNotFoundError(f'no labelled VerSe case under {root}')
    return cases


def _prepare_export(out, root, options, overwrite):
    """The summary of a finished export of ``out`` with the same
    ``options`` (then there is nothing to do), else None once ``out`` is
    known to be safe to write (not inside ``root``; new, or spinemm's own
    export of this kind and ``overwrite``)."""
    check_no_overlap(out, [root])
    done = _already_done(out, options)
    if done:
        return dict(done, unchanged=True)
    check_replaceable(out, options['kind'], overwrite)
    return None


def verse_to_coco(root, out, plane='sagittal', per_level=False, spacing=1.0,
                  splits=None, min_pixels=200, step=1, progress=True,
                  overwrite=False):
    """Labelled slices as ``images/*.png`` + ``annotations/<split>.json``
    (one COCO file per VerSe split folder; masks as RLE, ``level`` per
    annotation, ``pixel_spacing`` per image). Returns the summary dict."""
    options = dict(kind='verse2coco', root=osp.abspath(root), plane=plane,
                   per_level=per_level, spacing=spacing, splits=splits,
                   min_pixels=min_pixels, step=step)
    done = _prepare_export(out, root, options, overwrite)
    if done:
        return done
    info = dict(options=options)
    classes = list(LEVELS) if per_level else ['vertebra']
    reader = VerseCaseReader(spacing)
    per_split = {}
    with atomic_dir(out, 'verse2coco', overwrite, inputs=[root]) as tmp:
        os.makedirs(osp.join(tmp, 'images'))
        os.makedirs(osp.join(tmp, 'annotations'))
        img_id = ann_id = 0
        for case in tqdm(_cases(root, splits), desc='verse2coco',
                         disable=not progress):
            arrays = reader(case)
            sp = float(np.linalg.norm(arrays['affine'][:3, 0]))
            coco = per_split.setdefault(
                case['split'], dict(images=[], annotations=[],
                                    categories=coco_categories(classes)))
            for k in labelled_slices(arrays['mask'], plane, min_pixels, step):
                img = hu_window(take_slice(arrays['ct'], k, plane))
                labels = take_slice(arrays['mask'], k, plane)
                img_id += 1
                name = f'{case["stem"]}_{plane}{k:04d}.png'
                cv2.imwrite(osp.join(tmp, 'images', name), img)
                coco['images'].append(dict(
                    id=img_id, file_name=name, height=img.shape[0],
                    width=img.shape[1], pixel_spacing=[sp, sp],
                    verse_case=case['stem'], slice_index=k))
                for inst in slice_instances(labels):
                    if inst['level'] not in classes and per_level:
                        continue
                    ann_id += 1
                    x1, y1, x2, y2 = inst['bbox']
                    coco['annotations'].append(dict(
                        id=ann_id, image_id=img_id,
                        category_id=(classes.index(inst['level']) + 1
                                     if per_level else 1),
                        bbox=[x1, y1, x2 - x1, y2 - y1], area=inst['area'],
                        segmentation=inst['mask'], iscrowd=0,
                        level=inst['level'], verse_label=inst['label']))
        for split, coco in per_split.items():
            atomic_write_json(osp.join(tmp, 'annotations', f'{split}.json'),
                              coco)
        info['images'] = img_id
        info['annotations'] = ann_id
        atomic_write_json(osp.join(tmp, 'export_info.json'), info)
    return info


def verse_to_seg(root, out, plane='sagittal', mode='binary', context=0,
                 spacing=1.0, splits=None, min_pixels=50, step=1,
                 progress=True, overwrite=False):
    """Image/label pairs in mmseg's layout: ``img_dir/<split>/<name>.png``
    (grey, or ``2 * context + 1`` channels: PNG for 3, .npy otherwise) and
    ``ann_dir/<split>/<name>.png`` (class indices: binary, or background +
    levels of :data:`spinemm.anatomy.LEVELS`)."""
    classes = seg_classes(mode)  # also checks the mode
    options = dict(kind='verse2seg', root=osp.abspath(root), plane=plane,
                   mode=mode, context=context, spacing=spacing, splits=splits,
                   min_pixels=min_pixels, step=step)
    done = _prepare_export(out, root, options, overwrite)
    if done:
        return done
    info = dict(options=options)
    channels = 2 * context + 1
    img_ext = '.png' if channels in (1, 3) else '.npy'
    reader = VerseCaseReader(spacing)
    n = 0
    with atomic_dir(out, 'verse2seg', overwrite, inputs=[root]) as tmp:
        for case in tqdm(_cases(root, splits), desc='verse2seg',
                         disable=not progress):
            arrays = reader(case)
            img_dir = osp.join(tmp, 'img_dir', case['split'])
            ann_dir = osp.join(tmp, 'ann_dir', case['split'])
            os.makedirs(img_dir, exist_ok=True)
            os.makedirs(ann_dir, exist_ok=True)
            for k in labelled_slices(arrays['mask'], plane, min_pixels, step):
                img = hu_window(take_slab(arrays['ct'], k, plane, context))
                name = f'{case["stem"]}_{plane}{k:04d}'
                if img_ext == '.npy':
                    np.save(osp.join(img_dir, name + '.npy'), img)
                else:
                    cv2.imwrite(osp.join(img_dir, name + '.png'),
                                img[..., 0] if channels == 1 else img)
                cv2.imwrite(osp.join(ann_dir, name + '.png'),
                            level_classes(take_slice(arrays['mask'], k,
                                                     plane), classes))
                n += 1
        info['pairs'] = n
        info['classes'] = list(classes)
        atomic_write_json(osp.join(tmp, 'export_info.json'), info)
    return info
