"""VerSe CT slices with vertebra instances, served to mmdet on the fly."""
import numpy as np
from mmdet.datasets import BaseDetDataset

from ...formats.verse_slices import (index_verse_slices, slice_instances,
                                     take_slab)
from ...formats.verse_volumes import VerseCaseReader, hu_window
from ...registry import DATASETS


@DATASETS.register_module()
class VerseSliceDetDataset(BaseDetDataset):
    """Sagittal (or coronal) slices of VerSe CTs, one instance per vertebra.

    Each labelled slice (at least ``min_pixels`` vertebra pixels) of each
    labelled case under ``data_root`` is an image: the CT slice at
    ``spacing`` mm through a bone window, as 3 identical channels (or the
    neighbouring slices when ``context=1``), with a box, an RLE mask and a
    class per vertebra. Classes are ``('vertebra',)`` (default) or level
    names (``metainfo=dict(classes=spinemm.anatomy.LEVELS)``); instances of
    levels not in the list are dropped. The pipeline starts at
    ``LoadAnnotations`` (the image is already in the results).

    Args:
        splits: VerSe split folders to use (all by default).
        cache_dir: an H5 cache folder (recommended for training: each
            worker reads one slice, not a whole NIfTI).
    """

    METAINFO = dict(classes=('vertebra', ), palette=[(220, 20, 60)])

    def __init__(self, *args, plane='sagittal', splits=None, spacing=1.0,
                 cache_dir=None, min_pixels=200, step=1, context=0,
                 window=(-500.0, 1300.0), **kwargs):
        self.plane = plane
        self.splits = splits
        self.min_pixels = min_pixels
        self.step = step
        self.context = context
        self.window = tuple(window)
        self.reader = VerseCaseReader(spacing, cache_dir)
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        slices = index_verse_slices(self.data_root, self.reader, self.plane,
                                    self.splits, self.min_pixels, self.step)
        return [
            dict(img_id=i, img_path=f'{s["case"]["ct"]}#{self.plane}'
                 f'{s["index"]}', case=s['case'], slice_index=s['index'])
            for i, s in enumerate(slices)
        ]

    def get_data_info(self, idx):
        info = super().get_data_info(idx)
        arrays = self.reader(info['case'])
        ct = take_slab(arrays['ct'], info['slice_index'], self.plane,
                       self.context)
        img = hu_window(ct, *self.window)
        if img.shape[-1] == 1:
            img = np.repeat(img, 3, -1)
        labels = take_slab(arrays['mask'], info['slice_index'], self.plane,
                           0)[..., 0]
        classes = self.metainfo['classes']
        instances = []
        for inst in slice_instances(labels, min_pixels=20):
            if tuple(classes) == ('vertebra', ):
                cls = 0
            elif inst['level'] in classes:
                cls = classes.index(inst['level'])
            else:
                continue
            instances.append(dict(bbox=inst['bbox'], bbox_label=cls,
                                  mask=inst['mask'], ignore_flag=0,
                                  level=inst['level']))
        spacing = float(np.linalg.norm(arrays['affine'][:3, 0]))
        info.update(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                    height=img.shape[0], width=img.shape[1],
                    instances=instances,
                    pixel_spacing=[spacing, spacing])
        return info

    def filter_data(self):
        # slices are chosen by vertebra pixels (``min_pixels``) when the
        # index is built; mmdet's filter_cfg would need every slice's
        # instances, which are made only when a slice is served
        if self.filter_cfg:
            raise ValueError(
                f'VerseSliceDetDataset does not apply filter_cfg='
                f'{self.filter_cfg}: slices are chosen by min_pixels '
                f'(now {self.min_pixels}); remove filter_cfg or raise '
                'min_pixels')
        return self.data_list


__all__ = ['VerseSliceDetDataset']
