"""Does a CT model depend on how the column leans? Turn the CT (and its
truth) in the sagittal plane and see what the model still finds.

On the real chest CT of ``configs/ct_synth`` the upper thoracic column
leans 25-35 degrees from the scan's head-foot axis (kyphosis, a flexed
neck), and the slice model trained with up to 15 degrees of rotation
marked 15-20 % of T1-T4; turned 20 degrees upright, 22-49 %. This module
holds the two pieces of that measurement: :func:`tilt_sagittal` turns a
volume on the model grid, :func:`recall_by_level` says what share of each
labelled vertebra a class map marks (``tools/analysis_tools/tilt_recall.py``).
"""
import numpy as np
from scipy import ndimage


def tilt_sagittal(data, degrees, is_label=False):
    """``data`` on the ('I', 'P', 'R') model grid turned by ``degrees`` in
    the I-P (sagittal) plane about the grid's centre, same shape (what
    leaves the grid is cut, what enters is air: -1024 HU, or label 0).
    A positive angle moves the top of the volume towards anterior (lower
    P): a column whose top leans forward comes upright with a negative
    one. Labels are turned nearest-neighbour, HU linearly."""
    data = np.asarray(data)
    if data.ndim != 3:
        raise ValueError(f'tilt_sagittal takes a 3D volume, not shape '
                         f'{data.shape}')
    if is_label:
        return ndimage.rotate(data, degrees, axes=(0, 1), reshape=False,
                              order=0, mode='constant', cval=0)
    out = ndimage.rotate(data.astype(np.float32), degrees, axes=(0, 1),
                         reshape=False, order=1, mode='constant',
                         cval=-1024.0)
    return out


def recall_by_level(marked, truth):
    """``{label: share of the truth's voxels of that label marked}`` for
    every label in ``truth`` (a bool ``marked`` on the same grid)."""
    marked = np.asarray(marked, bool)
    truth = np.asarray(truth)
    if marked.shape != truth.shape:
        raise ValueError(f'marked {marked.shape} and truth {truth.shape} '
                         'differ in shape')
    return {int(v): float(marked[truth == v].mean())
            for v in np.unique(truth) if v}


__all__ = ['tilt_sagittal', 'recall_by_level']
