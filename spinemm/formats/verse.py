"""VerSe 2019 / 2020: layouts, label numbering and centroid json.

Published layouts (one folder per split, BIDS-like)::

    VerSe 2019: dataset-verse19{training,validation,test}/
                  rawdata/sub-verse004/sub-verse004_ct.nii.gz
                  derivatives/sub-verse004/sub-verse004_seg-vert_msk.nii.gz
                  derivatives/sub-verse004/sub-verse004_seg-subreg_ctd.json
    VerSe 2020: dataset-0{1training,2validation,3test}/
                  rawdata/sub-gl003/sub-gl003_dir-ax_ct.nii.gz
                  derivatives/sub-gl003/sub-gl003_dir-ax_seg-vert_msk.nii.gz
                  derivatives/sub-gl003/sub-gl003_dir-ax_seg-subreg_ctd.json

A case is the stem before ``_ct.nii.gz`` (some VerSe 2020 subjects have several,
e.g. ``_split-verse290``). The centroid json is a list whose first entry names
the axis directions (e.g. ``{"direction": ["P", "I", "R"]}``); the others give
``label`` and ``X, Y, Z`` in voxel coordinates of the image reoriented to that
direction.
"""
import glob
import os.path as osp

from ..anatomy import VERSE_LEVELS
from ..utils import atomic_write_json, read_json

LEVEL_TO_VERSE = {v: k for k, v in VERSE_LEVELS.items()}
#: every label a VerSe ``seg-vert`` mask may hold (27: coccyx, no level)
VERSE_LABELS = frozenset(VERSE_LEVELS) | {27}


def read_verse_centroids(path):
    """Read a VerSe ``*_ctd.json``.

    Returns:
        dict(direction=tuple of 3 axis codes, centroids=[dict(label, level,
        voxel=(X, Y, Z))]).
    """
    entries = read_json(path, 'VerSe centroid file')
    if not isinstance(entries, list) or not entries or \
            'direction' not in entries[0]:
        raise ValueError(f'{path}: a VerSe centroid file is a list whose first'
                         ' entry is {"direction": [...]}')
    direction = tuple(entries[0]['direction'])
    if len(direction) != 3 or not set(direction) <= set('LRAPSI'):
        raise ValueError(f'{path}: bad direction {direction}')
    centroids = []
    for i, e in enumerate(entries[1:], 1):
        try:
            label = int(e['label'])
            voxel = (float(e['X']), float(e['Y']), float(e['Z']))
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f'{path}: entry {i} is not '
                             f'{{label, X, Y, Z}}: {e}') from err
        centroids.append(dict(label=label, level=VERSE_LEVELS.get(label),
                              voxel=voxel))
    return dict(direction=direction, centroids=centroids)


def write_verse_centroids(path, direction, centroids):
    """Write centroids (dicts with ``label`` and ``voxel``) as VerSe json."""
    entries = [dict(direction=list(direction))]
    entries += [
        dict(label=int(c['label']), X=round(float(c['voxel'][0]), 2),
             Y=round(float(c['voxel'][1]), 2), Z=round(float(c['voxel'][2]), 2))
        for c in centroids
    ]
    atomic_write_json(path, entries)


def centroids_to_world(ctd, volume):
    """World (RAS+ mm) position of each centroid, by label.

    ``volume`` is the case's CT or mask (:class:`spinemm.io.Volume`), in any
    orientation: it is reoriented to the json's direction first.
    """
    from ..io import reorient
    oriented = reorient(volume, ctd['direction'])
    return {
        c['label']: oriented.voxel_to_world(c['voxel'])[0]
        for c in ctd['centroids']
    }


def index_verse(root):
    """Every case under ``root`` (either release, any split).

    Returns:
        list of dict(release, split, subject, stem, ct, mask, centroids) with
        paths (mask/centroids None where the split ships no labels), sorted by
        split and stem.

    Raises:
        FileNotFoundError naming ``root`` when it holds no VerSe CT at all.
    """
    cases = []
    for ct in glob.glob(osp.join(root, '**', 'rawdata', '*', '*_ct.nii.gz'),
                        recursive=True):
        subject_dir = osp.dirname(ct)
        split_dir = osp.dirname(osp.dirname(subject_dir))
        subject = osp.basename(subject_dir)
        stem = osp.basename(ct)[:-len('_ct.nii.gz')]
        deriv = osp.join(split_dir, 'derivatives', subject)
        mask = osp.join(deriv, f'{stem}_seg-vert_msk.nii.gz')
        ctd = osp.join(deriv, f'{stem}_seg-subreg_ctd.json')
        split = osp.basename(split_dir)
        cases.append(
            dict(release=2019 if 'verse19' in split else 2020, split=split,
                 subject=subject, stem=stem, ct=ct,
                 mask=mask if osp.isfile(mask) else None,
                 centroids=ctd if osp.isfile(ctd) else None))
    if not cases:
        raise FileNotFoundError(
            f'no VerSe CT (rawdata/<subject>/<stem>_ct.nii.gz) under {root}; '
            'see data/README.md for the expected layout')
    orphans = orphan_masks(root, cases)
    if orphans:
        import warnings
        warnings.warn(
            f'{root}: {len(orphans)} vertebra mask(s) without their CT '
            f'(rawdata/<subject>/<stem>_ct.nii.gz) are left out: '
            + ', '.join(orphans[:5]) + (' ...' if len(orphans) > 5 else ''),
            stacklevel=2)
    return sorted(cases, key=lambda c: (c['split'], c['stem']))


def orphan_masks(root, cases=None):
    """``*_seg-vert_msk.nii.gz`` under ``root``'s derivatives whose CT is
    not in ``cases`` (default: :func:`index_verse`'s): labelled cases that
    would otherwise vanish from a mixed tree without a word."""
    if cases is None:
        cases = index_verse(root)
    known = {osp.abspath(c['mask']) for c in cases if c['mask']}
    found = glob.glob(osp.join(root, '**', 'derivatives', '*',
                               '*_seg-vert_msk.nii.gz'), recursive=True)
    return sorted(p for p in found if osp.abspath(p) not in known)


def verse_folder_names(release):
    """Split folder names of a release, in the published spelling."""
    if release == 2019:
        return [f'dataset-verse19{s}' for s in ('training', 'validation',
                                                 'test')]
    if release == 2020:
        return ['dataset-01training', 'dataset-02validation', 'dataset-03test']
    raise ValueError(f'VerSe releases are 2019 and 2020, not {release}')


__all__ = [
    'VERSE_LEVELS', 'LEVEL_TO_VERSE', 'read_verse_centroids',
    'write_verse_centroids', 'centroids_to_world', 'index_verse',
    'orphan_masks',
    'verse_folder_names'
]
