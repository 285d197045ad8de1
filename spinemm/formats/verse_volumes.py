"""VerSe cases as arrays on one grid: reoriented, resampled, optionally cached.

Every VerSe consumer (2D slices for mmdet/mmseg, 3D patches) reads a case
through :func:`load_verse_case`: CT and mask reoriented to ``('I', 'P', 'R')``
(so ``ct[:, :, k]`` is a sagittal image in the standard lateral display: rows
run head to foot, columns front to back, the patient faces image-left) and
resampled to ``spacing`` mm (1 mm by default, as the VerSe seed does; linear
for the CT, nearest neighbour for the mask).

:class:`VerseH5Cache` stores that result once per case as a chunked,
compressed HDF5 file (h5py + hdf5plugin Zstd), so a random 128^3 patch reads
only the chunks it touches instead of decoding a whole ``.nii.gz``.
"""
import os.path as osp

import numpy as np

from ..io.intensity import hu_window  # noqa: F401  (served from here too)
from ..io import (Volume, label_volume, read_nifti, reorient, resample,
                  resample_to)
from ..utils import atomic_file
from .verse import VERSE_LABELS, centroids_to_world, read_verse_centroids

#: Axis codes of the arrays served to datasets (see the module docstring).
SLICE_ORIENTATION = ('I', 'P', 'R')


def load_verse_case(case, spacing=1.0, orientation=SLICE_ORIENTATION):
    """Read one ``index_verse`` case onto the served grid.

    The mask is checked in its stored dtype against VerSe's label set
    (:data:`~spinemm.formats.verse.VERSE_LABELS`; nothing wraps through
    uint8) and brought onto the CT's served grid by world position (nearest
    neighbour), so a mask stored on another grid (cropped, another spacing
    or orientation) lands where it belongs; a mask that does not overlap the
    CT is an error naming both files.

    Returns:
        dict(ct=Volume (int16 HU), mask=Volume (uint8) or None,
        centroids={label: (3,) voxel position on the served grid} or {}).
    """
    ct = reorient(read_nifti(case['ct']), orientation)
    if spacing is not None:
        ct = resample(ct, spacing)
    ct = Volume(np.round(ct.data).astype(np.int16), ct.affine, ct.meta)
    mask, centroids = None, {}
    if case.get('mask'):
        raw = label_volume(read_nifti(case['mask']), VERSE_LABELS,
                           'VerSe vertebra mask')
        mask = resample_to(reorient(raw, orientation), ct, is_label=True)
        if raw.data.any() and not mask.data.any():
            raise ValueError(f'{case["mask"]}: no labelled voxel lies inside '
                             f'the CT {case["ct"]} (grids barely overlap)')
        mask = Volume(mask.data.astype(np.uint8), ct.affine, mask.meta)
    if case.get('centroids') and mask is not None:
        ctd = read_verse_centroids(case['centroids'])
        # centroids are stated in the original mask's grid
        world = centroids_to_world(ctd, read_nifti(case['mask']))
        centroids = {label: ct.world_to_voxel(p)[0]
                     for label, p in world.items()}
    return dict(ct=ct, mask=mask, centroids=centroids)


class VerseH5Cache:
    """One ``<stem>.h5`` per case under ``cache_dir`` holding ``ct``, ``mask``
    (chunked ``chunk``^3, Zstd) and the affine, spacing and centroids.

    The key includes the spacing, so caches for 1 mm and 1.5 mm coexist. A
    file appears complete or not at all (written under a temporary name).
    """

    def __init__(self, cache_dir, spacing=1.0, chunk=64):
        self.cache_dir = cache_dir
        self.spacing = spacing
        self.chunk = chunk

    def path(self, case):
        tag = 'native' if self.spacing is None else f'{self.spacing:g}mm'
        return osp.join(self.cache_dir, tag, f'{case["stem"]}.h5')

    def build(self, case):
        """Write the case's file unless it exists; return its path."""
        import h5py
        import hdf5plugin
        path = self.path(case)
        if osp.isfile(path):
            return path
        arrays = load_verse_case(case, self.spacing)
        with atomic_file(path, '.h5') as tmp:
            with h5py.File(tmp, 'w') as f:
                for name in ('ct', 'mask'):
                    vol = arrays[name]
                    if vol is None:
                        continue
                    chunks = tuple(min(self.chunk, s) for s in vol.data.shape)
                    f.create_dataset(name, data=vol.data, chunks=chunks,
                                     **hdf5plugin.Zstd(clevel=3))
                f.attrs['affine'] = arrays['ct'].affine
                f.attrs['source'] = case['ct']
                labels = sorted(arrays['centroids'])
                f.attrs['centroid_labels'] = np.array(labels, np.int32)
                f.attrs['centroids'] = np.array(
                    [arrays['centroids'][k] for k in labels],
                    np.float64).reshape(-1, 3)
        return path

    def open(self, case):
        """The case's arrays as lazily read h5py datasets (builds on first
        use): dict(ct, mask or None, affine, centroids)."""
        import h5py
        import hdf5plugin  # noqa: F401  registers the Zstd filter for reading
        f = h5py.File(self.build(case), 'r')
        return dict(ct=f['ct'], mask=f['mask'] if 'mask' in f else None,
                    affine=np.array(f.attrs['affine']),
                    centroids=dict(zip(f.attrs['centroid_labels'].tolist(),
                                       np.array(f.attrs['centroids']))),
                    file=f)


class VerseCaseReader:
    """What datasets use: arrays of a case, through the H5 cache when a
    ``cache_dir`` is given, else decoded from NIfTI (the last case is kept in
    memory, so consecutive slices of one case are read once)."""

    def __init__(self, spacing=1.0, cache_dir=None):
        self.spacing = spacing
        self.cache = VerseH5Cache(cache_dir, spacing) if cache_dir else None
        self._last = (None, None)

    def __call__(self, case):
        if self._last[0] == case['stem']:
            return self._last[1]
        if self.cache is not None:
            arrays = self.cache.open(case)
        else:
            loaded = load_verse_case(case, self.spacing)
            arrays = dict(ct=loaded['ct'].data,
                          mask=None if loaded['mask'] is None
                          else loaded['mask'].data,
                          affine=loaded['ct'].affine,
                          centroids=loaded['centroids'])
        if self._last[1] is not None and 'file' in self._last[1]:
            self._last[1]['file'].close()
        self._last = (case['stem'], arrays)
        return arrays

    def __getstate__(self):  # dataloader workers open their own files
        state = dict(self.__dict__)
        state['_last'] = (None, None)
        return state


__all__ = ['SLICE_ORIENTATION', 'load_verse_case', 'VerseH5Cache',
           'VerseCaseReader', 'hu_window']
