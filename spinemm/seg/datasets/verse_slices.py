"""VerSe CT slices (2D or 2.5D) with label maps, served to mmseg on the fly."""
import numpy as np
from mmseg.datasets import BaseSegDataset

from ...anatomy import LEVELS
from ...formats.verse_slices import index_verse_slices, seg_classes
from ...formats.verse_volumes import VerseCaseReader
from ...registry import DATASETS
from ...utils.pipeline import check_first_transform


@DATASETS.register_module()
class VerseSliceSegDataset(BaseSegDataset):
    """Image-label pairs cut from VerSe CTs.

    ``mode='binary'`` (vertebra vs background, as the VerSe seed trains) or
    ``'levels'`` (background + one class per level of
    :data:`spinemm.anatomy.LEVELS`). ``context=k`` stacks the ``k``
    neighbouring slices on each side as channels (2.5D; ``2k + 1``
    channels), otherwise the slice is one channel. Images are uint8 through
    the HU ``window``.

    The dataset holds metadata only (case, slice index, and the slice
    options as ``verse_slice``); the pipeline starts with
    ``dict(type='spinemm.LoadVerseSlice')``, which reads the pixels.
    """

    METAINFO = dict(classes=('background', 'vertebra'),
                    palette=[[0, 0, 0], [220, 20, 60]])

    def __init__(self, mode='binary', plane='sagittal', splits=None,
                 spacing=1.0, cache_dir=None, min_pixels=50, step=1,
                 context=0, window=(-500.0, 1300.0), metainfo=None,
                 pipeline=(), **kwargs):
        classes = seg_classes(mode)
        given = (metainfo or {}).get('classes')
        if given is not None and tuple(given) != tuple(classes):
            # the classes follow from ``mode`` (VerSe numbering is mapped
            # directly); a different list would be silently overwritten
            raise ValueError(
                f"VerseSliceSegDataset(mode={mode!r}) has the classes "
                f"{tuple(classes)}; metainfo.classes={tuple(given)} cannot "
                "be honoured: choose mode='binary' or mode='levels' instead")
        check_first_transform(pipeline, 'spinemm.LoadVerseSlice',
                              'VerseSliceSegDataset')
        metainfo = dict(metainfo or {}, classes=classes)
        if mode == 'levels':
            rng = np.random.RandomState(0)
            metainfo['palette'] = [[0, 0, 0]] + rng.randint(
                40, 255, (len(LEVELS), 3)).tolist()
        self.plane, self.splits = plane, splits
        self.min_pixels, self.step = min_pixels, step
        self.context, self.window = context, tuple(window)
        self.slice_options = dict(plane=plane, context=context,
                                  window=tuple(window), spacing=spacing,
                                  cache_dir=cache_dir, classes=classes)
        self.reader = VerseCaseReader(spacing, cache_dir)
        super().__init__(metainfo=metainfo, pipeline=pipeline, **kwargs)

    @classmethod
    def get_label_map(cls, new_classes=None):
        return None  # labels are mapped from VerSe numbering directly

    def load_data_list(self):
        slices = index_verse_slices(self.data_root, self.reader, self.plane,
                                    self.splits, self.min_pixels, self.step)
        return [
            dict(img_path=f'{s["case"]["ct"]}#{self.plane}{s["index"]}',
                 seg_map_path=None, case=s['case'], slice_index=s['index'],
                 verse_slice=self.slice_options, label_map=None,
                 reduce_zero_label=False, seg_fields=[])
            for s in slices
        ]


__all__ = ['VerseSliceSegDataset']
