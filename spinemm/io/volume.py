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


def read_nifti(path) -> Volume:
    """Read a NIfTI file, keeping its affine (``nib.load`` semantics)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'NIfTI file not found: {path}')
    try:
        img = nib.load(path)
        data = np.asanyarray(img.dataobj)
    except Exception as e:  # nibabel raises several types for bad files
        raise ValueError(f'{path} is not a readable NIfTI file: {e}') from e
    return Volume(data, img.affine.copy(), dict(source=str(path)))


def write_nifti(volume: Volume, path) -> None:
    """Write ``volume`` to ``path`` (.nii or .nii.gz) through a temporary name."""
    suffix = '.nii.gz' if str(path).endswith('.gz') else '.nii'
    with atomic_file(path, suffix) as tmp:
        nib.save(volume.to_nifti(), tmp)
