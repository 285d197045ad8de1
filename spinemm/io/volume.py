"""A 3D image with its voxel-to-world geometry."""
import os
from dataclasses import dataclass, field

import nibabel as nib
import numpy as np

from ..utils.atomic import atomic_file


#: DICOM's LPS+ world axes <-> NIfTI's RAS+ (the same matrix both ways).
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


@dataclass
class Volume:
    """Voxels in nibabel's index order (i, j, k) and a RAS+ affine (mm).

    ``affine @ [i, j, k, 1]`` is the world position of a voxel centre in RAS+
    millimetres (NIfTI's convention; DICOM's LPS+ is converted on reading).
    """
    data: np.ndarray
    affine: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def spacing(self):
        """Voxel size (mm) along i, j, k."""
        return tuple(float(s) for s in np.linalg.norm(self.affine[:3, :3], axis=0))

    @property
    def orientation(self):
        """Axis codes, e.g. ('L', 'P', 'S'): where i, j, k point to."""
        return nib.aff2axcodes(self.affine)

    def voxel_to_world(self, ijk):
        """(N, 3) voxel coordinates -> (N, 3) world RAS+ mm."""
        ijk = np.atleast_2d(np.asarray(ijk, float))
        return ijk @ self.affine[:3, :3].T + self.affine[:3, 3]

    def world_to_voxel(self, xyz):
        """(N, 3) world RAS+ mm -> (N, 3) voxel coordinates (not rounded)."""
        inv = np.linalg.inv(self.affine)
        xyz = np.atleast_2d(np.asarray(xyz, float))
        return xyz @ inv[:3, :3].T + inv[:3, 3]

    def to_nifti(self):
        return nib.Nifti1Image(self.data, self.affine)


def read_nifti(path, allow_nonfinite=False) -> Volume:
    """Read a NIfTI file, keeping its affine (``nib.load`` semantics).

    NaN or infinite voxels are an error naming the file and their number
    (a model would see them as 0 HU, or worse) unless ``allow_nonfinite``.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'NIfTI file not found: {path}')
    try:
        img = nib.load(path)
        data = np.asanyarray(img.dataobj)
    except Exception as e:  # nibabel raises several types for bad files
        raise ValueError(f'{path} is not a readable NIfTI file: {e}') from e
    if data.ndim != 3:
        raise ValueError(f'{path}: expected a 3D volume, got shape '
                         f'{data.shape}')
    if not allow_nonfinite and np.issubdtype(data.dtype, np.floating):
        bad = int(data.size - np.count_nonzero(np.isfinite(data)))
        if bad:
            raise ValueError(
                f'{path}: {bad} of {data.size} voxels are NaN or infinite; '
                'fill them (e.g. with the air value, -1024 HU) before use')
    return Volume(data, img.affine.copy(), dict(source=str(path)))


def label_volume(volume: Volume, allowed=None, what='label map') -> Volume:
    """Check a label map in its stored dtype, before any cast: integer
    values, none negative and, with ``allowed``, none outside that set.
    Returns it as uint8 when every label fits, else int32 (never wrapped).
    Errors name the volume's source and the offending labels."""
    src = volume.meta.get('source', what)
    data = np.asarray(volume.data)
    if np.issubdtype(data.dtype, np.floating):
        if not np.all(np.isfinite(data)):
            raise ValueError(f'{src}: the {what} holds NaN/inf values')
        if not np.array_equal(data, np.round(data)):
            raise ValueError(f'{src}: the {what} holds non-integer values '
                             f'(e.g. {data[data != np.round(data)][:3]}): '
                             'is it an image rather than labels?')
    elif not (np.issubdtype(data.dtype, np.integer) or data.dtype == bool):
        raise ValueError(f'{src}: the {what} has dtype {data.dtype}')
    values = np.unique(data)
    if values.size and values[0] < 0:
        raise ValueError(f'{src}: negative labels {values[values < 0][:5]}')
    if allowed is not None:
        unknown = sorted(set(values.astype(np.int64).tolist())
                         - set(allowed) - {0})
        if unknown:
            raise ValueError(
                f'{src}: labels {unknown[:10]} are not in the {what}\'s '
                f'label set ({min(allowed)}-{max(allowed)}); wrong file, or '
                'a label map of another numbering')
    top = int(values[-1]) if values.size else 0
    dtype = np.uint8 if top <= 255 else np.int32
    return Volume(data.astype(dtype), volume.affine, volume.meta)


def write_nifti(volume: Volume, path, overwrite=False) -> None:
    """Write ``volume`` to ``path`` (.nii or .nii.gz) through a temporary
    name; an existing file that spinemm did not write is replaced only with
    ``overwrite`` (:mod:`spinemm.utils.outputs`)."""
    suffix = '.nii.gz' if str(path).endswith('.gz') else '.nii'
    with atomic_file(path, suffix, overwrite=overwrite) as tmp:
        nib.save(volume.to_nifti(), tmp)
