"""Is this volume a CT the models were made for? Checked before compute.

spinemm's CT models (VerSe 2.5D / 3D, the RSNA stages) read Hounsfield
units. Given an MR, a label map or a single slice they still produce masks
and probabilities, confidently wrong, so the CT tools refuse such inputs in
words first (:func:`check_ct`). The rules, each with its reason:

- DICOM ``Modality`` (where the series has one) must be ``CT``.
- At least :data:`MIN_SLICES` voxels along every axis: the 2.5D models read
  a stack of neighbouring slices and the 3D models patches of 64-128
  voxels; one axial or one sagittal slice is not a volume.
- Not a label map: a volume of a few (at most 255) distinct non-negative
  integers is a segmentation, whatever its file name says.
- Hounsfield units: a CT of a body has air (-1000 HU) around or inside it
  and fat (-100 HU) in it; a volume with no voxel below
  :data:`MIN_HU_LOW` HU is an MR, or a CT stored without its rescale
  (raw 0..4095 values), and is refused. No voxel above
  :data:`BONE_HU` HU (cortical bone is 500-1900 HU) is only warned about: a
  severely osteoporotic column can stay below it.
- ``axial=True`` (the RSNA pipeline reads axial slices): the slice normal
  of a DICOM series must lie within 45 degrees of the head-foot axis.
"""
import warnings

import numpy as np

from ..utils.errors import InputError

#: fewest voxels along any axis of a CT the models accept
MIN_SLICES = 16
#: a CT in HU has voxels below this (air -1000 HU, fat -100 HU)
MIN_HU_LOW = -200
#: a CT with a spine has voxels above this (cortical bone 500-1900 HU)
BONE_HU = 150


class NotCTError(InputError):
    """The volume is not a CT the models were made for."""


def _sample(data, max_voxels=2_000_000):
    """A strided view of at most about ``max_voxels`` voxels."""
    data = np.asarray(data)
    step = max(1, int(np.ceil((data.size / max_voxels) ** (1 / 3))))
    return data[::step, ::step, ::step] if data.ndim == 3 else data


def ct_problem(volume, axial=False):
    """Why ``volume`` (a :class:`spinemm.io.Volume`) is not a CT the models
    take, in words; None when it is."""
    meta = getattr(volume, 'meta', None) or {}
    modality = str(meta.get('modality') or '').upper()
    if modality and modality != 'CT':
        return (f'its DICOM Modality is {modality}, not CT: the models were '
                'trained on CT in Hounsfield units')
    shape = tuple(np.shape(volume.data))
    if len(shape) != 3:
        return f'it has {len(shape)} dimensions ({shape}), not 3'
    if min(shape) < MIN_SLICES:
        return (f'it is {"x".join(map(str, shape))} voxels: fewer than '
                f'{MIN_SLICES} along an axis (one slice, or a thin slab), '
                'while the models read stacks of neighbouring slices')
    if axial and meta.get('normal') is not None:
        normal = np.asarray(meta['normal'], float)
        cos = abs(normal[2]) / max(np.linalg.norm(normal), 1e-9)
        if cos < np.cos(np.radians(45)):
            plane = 'sagittal' if abs(normal[0]) > abs(normal[1]) \
                else 'coronal'
            return (f'its slices are {plane} (slice normal '
                    f'{np.round(normal, 2).tolist()}), not axial: the model '
                    'reads axial slices')
    sample = _sample(volume.data)
    values = np.unique(sample[:, :, ::max(1, sample.shape[2] // 8)])
    if len(values) <= 255 and values.min() >= 0 and \
            np.all(values == np.round(values)):
        return (f'it holds only {len(values)} distinct integer values from '
                f'{values.min():g} to {values.max():g}: a label map, not '
                'a CT')
    if sample.min() > MIN_HU_LOW:
        return (f'no voxel is below {MIN_HU_LOW} HU (lowest '
                f'{float(sample.min()):g}; air is -1000 HU, fat -100 HU): '
                'not a CT in Hounsfield units (an MR, or a CT stored without '
                'its rescale slope/intercept)')
    return None


def check_ct(volume, source, axial=False):
    """Raise :class:`NotCTError` naming ``source`` and the reason when
    ``volume`` is not a CT the models take (:func:`ct_problem`); warn when
    it has no bone-dense voxel."""
    why = ct_problem(volume, axial)
    if why:
        raise NotCTError(f'{source}: {why}')
    high = float(np.percentile(_sample(volume.data), 99.9))
    if high < BONE_HU:
        warnings.warn(f'{source}: no bone-dense voxels (99.9th percentile '
                      f'{high:.0f} HU < {BONE_HU} HU): the vertebrae may not '
                      'be found')
