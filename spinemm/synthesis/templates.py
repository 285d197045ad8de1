"""CT templates: real label maps reduced to :mod:`anatomy_codes`, the
input of the CT synthesis (:mod:`spinemm.synthesis.synth_ct`).

A template root holds one folder per template::

    <root>/<name>/codes.nii.gz   uint8 template codes on the CT's grid
    <root>/<name>/ct.nii.gz      the template's CT (int16 HU), optional

written by :func:`write_templates` (``tools/dataset_converters/
make_ct_templates.py``). The body (code 63: inside the skin, no class) is
found in the CT (HU > -500, holes filled slice by slice, the largest
component); a template without a CT gets the labelled structures grown by
10 mm as its body.
"""
import json
import os
import os.path as osp

import numpy as np
from scipy import ndimage

from ..io import Volume, label_volume, read_nifti
from ..utils.errors import InputError
from .anatomy_codes import BODY, is_vertebra, to_codes


def body_mask(hu, axis=2):
    """Inside the skin: HU > -500, holes filled in each slice along
    ``axis`` (lungs, airway), the largest 3D component (the table and
    specks outside the body are dropped)."""
    mask = np.asarray(hu) > -500
    mask = np.moveaxis(mask, axis, 0)
    filled = np.stack([ndimage.binary_fill_holes(s) for s in mask])
    filled = np.moveaxis(filled, 0, axis)
    comps, n = ndimage.label(filled)
    if n == 0:
        return filled
    sizes = np.bincount(comps.ravel())[1:]
    return comps == 1 + int(np.argmax(sizes))


def make_template(seg: Volume, ct: Volume = None, names=None,
                  source='label map'):
    """Template codes (uint8 Volume on ``seg``'s grid) from a label map of
    TotalSegmentator class ids (``names``: ``{id: name}``, default v2) and
    its CT (on the same grid)."""
    seg = label_volume(seg, what='TotalSegmentator label map')
    codes = to_codes(seg.data, names)
    if not is_vertebra(codes).any():
        raise InputError(f'{source}: no vertebra in this label map (a '
                         'label table other than TotalSegmentator v2\'s? '
                         'give it with --table NAME CSV)')
    if ct is not None:
        if ct.data.shape != codes.shape or \
                not np.allclose(ct.affine, seg.affine, atol=1e-3):
            raise InputError(f'{source}: the CT is not on the label map\'s '
                             f'grid ({ct.data.shape} vs {codes.shape})')
        axial = int(np.argmax(np.abs(seg.affine[2, :3])))
        body = body_mask(ct.data, axis=axial)
    else:
        spacing = np.array(seg.spacing)
        dist = ndimage.distance_transform_edt(codes == 0, sampling=spacing)
        body = dist <= 10.0
    out = np.where((codes == 0) & body, BODY, codes).astype(np.uint8)
    return Volume(out, seg.affine.copy(), dict(source=source))


def write_templates(cases, out, tables=None, overwrite=False):
    """Write templates for ``cases`` = [(name, ct path or None, label map
    path)] into ``out`` (atomically); ``tables`` maps a case name to the
    label table of its map (a csv, :func:`spinemm.formats.totalseg.
    read_label_table`; default TotalSegmentator v2). Returns ``{name:
    summary}``."""
    from ..formats.totalseg import read_label_table
    tables = dict(tables or {})
    unknown = set(tables) - {c[0] for c in cases}
    if unknown:
        raise InputError(f'label tables given for cases that are not '
                         f'listed: {sorted(unknown)}')
    from ..io import write_nifti
    from ..utils import atomic_dir
    summary = {}
    inputs = [p for c in cases for p in c[1:] if p] + list(tables.values())
    with atomic_dir(out, 'ct-templates', overwrite, inputs=inputs) as tmp:
        for name, ct_path, seg_path in cases:
            seg = read_nifti(seg_path)
            ct = read_nifti(ct_path) if ct_path else None
            names = read_label_table(tables[name]) if name in tables \
                else None
            tpl = make_template(seg, ct, names, source=seg_path)
            os.makedirs(osp.join(tmp, name))
            write_nifti(tpl, osp.join(tmp, name, 'codes.nii.gz'))
            if ct is not None:
                write_nifti(Volume(np.clip(np.round(ct.data), -1024, 3071)
                                   .astype(np.int16), ct.affine),
                            osp.join(tmp, name, 'ct.nii.gz'))
            present = np.unique(tpl.data)
            summary[name] = dict(
                shape=list(tpl.data.shape), spacing=list(tpl.spacing),
                vertebrae=[int(c) for c in present if is_vertebra(c)],
                sacrum=bool((present == 26).any()),
                ribs=int(((present > 100) & (present < 140)).sum()),
                ct=ct is not None)
        with open(osp.join(tmp, 'templates.json'), 'w') as f:
            json.dump(summary, f, indent=1)
    return summary


def write_phantom_templates(out, num, seed=0, spacing=2.0, overwrite=False,
                            progress=True):
    """Write ``num`` anatomical CT phantoms (:mod:`spinemm.phantoms.
    ct_anatomy`: random column variant and field of view) as templates
    ``phantom000`` ... into ``out`` (atomically). The templates' CTs are
    drawn sharp (slice thickness = ``spacing``, 5 HU noise): the synthesis
    adds its own acquisition. Returns ``{name: summary}``."""
    from tqdm import tqdm

    from ..io import write_nifti
    from ..phantoms.ct_anatomy import make_anatomy_phantom
    from ..utils import atomic_dir
    summary = {}
    with atomic_dir(out, 'ct-templates', overwrite) as tmp:
        for i in tqdm(range(num), desc='phantom templates',
                      disable=not progress):
            ph = make_anatomy_phantom(seed * 100_003 + i, spacing=spacing,
                                      thickness=spacing, noise=5.0)
            name = f'phantom{i:03d}'
            os.makedirs(osp.join(tmp, name))
            write_nifti(ph.codes, osp.join(tmp, name, 'codes.nii.gz'))
            write_nifti(ph.ct, osp.join(tmp, name, 'ct.nii.gz'))
            present = np.unique(ph.codes.data)
            summary[name] = dict(
                shape=list(ph.codes.data.shape), spacing=[spacing] * 3,
                vertebrae=[int(c) for c in present if is_vertebra(c)],
                sacrum=bool((present == 26).any()),
                ribs=int(((present > 100) & (present < 140)).sum()),
                ct=True, phantom=dict(seed=seed * 100_003 + i,
                                      variant=ph.variant, fov=ph.fov,
                                      metal=ph.metal_levels))
        with open(osp.join(tmp, 'templates.json'), 'w') as f:
            json.dump(summary, f, indent=1)
    return summary


def list_templates(root):
    """``[(name, codes path, ct path or None)]`` of a template root."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'template root not found: {root}')
    found = []
    for name in sorted(os.listdir(root)):
        codes = osp.join(root, name, 'codes.nii.gz')
        if osp.isfile(codes):
            ct = osp.join(root, name, 'ct.nii.gz')
            found.append((name, codes, ct if osp.isfile(ct) else None))
    if not found:
        raise FileNotFoundError(
            f'{root}: no <name>/codes.nii.gz (write templates with '
            'tools/dataset_converters/make_ct_templates.py)')
    return found


__all__ = ['body_mask', 'make_template', 'write_templates',
           'write_phantom_templates', 'list_templates']
