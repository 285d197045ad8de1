"""Write CT phantoms in the published VerSe 2019 / 2020 layouts."""
import os.path as osp

from tqdm import tqdm

from ..formats.verse import verse_folder_names, write_verse_centroids
from ..io import reorient, write_nifti
from ..utils import atomic_dir, atomic_write_json
from .ct import make_ct_phantom


def _voxel_centroids(phantom, direction):
    oriented = reorient(phantom.labels, direction)
    return [
        dict(label=v.label, voxel=oriented.world_to_voxel(v.centroid)[0])
        for v in phantom.vertebrae
    ]


def write_verse_phantoms(root, release=2019, num_cases=3, seed=0,
                         num_vertebrae=(4, 7), progress=True, split=0,
                         levels=None, overwrite=False):
    """Write ``num_cases`` CT phantoms as one split of a release
    (``split``: 0 training, 1 validation, 2 test; each split draws its own
    phantoms and numbers its subjects from ``100 * split``). ``levels``
    (superior first, e.g. ``['T11', ..., 'L5']``) gives every case the same
    run of levels instead of a random one.

    Each case gets ``rawdata/<subject>/<stem>_ct.nii.gz``,
    ``derivatives/<subject>/<stem>_seg-vert_msk.nii.gz`` and
    ``..._seg-subreg_ctd.json`` (direction P, I, R, as VerSe ships them), plus
    ``<stem>_truth.json`` with grades, heights and 3D keypoints (world RAS+
    mm), which VerSe does not have. The split folder appears complete or not
    at all.
    """
    folder = verse_folder_names(release)[split]
    with atomic_dir(osp.join(root, folder), f'phantom-verse{release}',
                    overwrite) as tmp:
        for i in tqdm(range(num_cases), desc=f'VerSe {release} phantoms',
                      disable=not progress):
            ph = make_ct_phantom(seed * 1_000_003 + 10_007 * split + i,
                                 num_vertebrae=num_vertebrae, levels=levels)
            subject = f'sub-phantom{100 * split + i:03d}'
            stem = subject if release == 2019 else f'{subject}_dir-ax'
            raw = osp.join(tmp, 'rawdata', subject)
            der = osp.join(tmp, 'derivatives', subject)
            write_nifti(ph.ct, osp.join(raw, f'{stem}_ct.nii.gz'))
            write_nifti(ph.labels, osp.join(der, f'{stem}_seg-vert_msk.nii.gz'))
            write_verse_centroids(
                osp.join(der, f'{stem}_seg-subreg_ctd.json'), ('P', 'I', 'R'),
                _voxel_centroids(ph, ('P', 'I', 'R')))
            atomic_write_json(
                osp.join(der, f'{stem}_truth.json'),
                [dict(level=v.level, label=v.label,
                      genant_grade=v.genant_grade,
                      fracture_type=v.fracture_type,
                      heights_mm=v.heights_mm,
                      centroid=v.centroid.round(3).tolist(),
                      keypoints=v.keypoints.round(3).tolist())
                 for v in ph.vertebrae])
    return osp.join(root, folder)


def write_anatomy_verse_phantoms(root, fov, num_cases=8, seed=5,
                                 spacing=1.5, progress=True, overwrite=False):
    """Write ``num_cases`` anatomical CT phantoms
    (:func:`spinemm.phantoms.ct_anatomy.make_anatomy_phantom`, seeds
    ``1000 * seed + i``, column variant drawn) of one field of view
    ``fov`` (e.g. ``'neck'``: skull base to C6) as VerSe 2019's test split
    ``dataset-verse19test``: ``rawdata/sub-<fov>NN/..._ct.nii.gz`` and
    ``derivatives/.../..._seg-vert_msk.nii.gz`` (VerSe labels, the sacrum
    26). No centroid json: ``eval_verse.py`` then takes the truth mask's
    vertebral-body centroids, as it does for the prediction (C1, a ring
    with no body, has no agreed centre otherwise)."""
    from .ct_anatomy import make_anatomy_phantom
    folder = verse_folder_names(2019)[2]
    with atomic_dir(osp.join(root, folder), f'anatomy-phantom-{fov}',
                    overwrite) as tmp:
        for i in tqdm(range(num_cases), desc=f'{fov} phantoms',
                      disable=not progress):
            ph = make_anatomy_phantom(1000 * seed + i, fov=fov,
                                      spacing=spacing)
            stem = f'sub-{fov}{i:02d}'
            write_nifti(ph.ct, osp.join(tmp, 'rawdata', stem,
                                        f'{stem}_ct.nii.gz'))
            write_nifti(ph.labels, osp.join(tmp, 'derivatives', stem,
                                            f'{stem}_seg-vert_msk.nii.gz'))
    return osp.join(root, folder)

