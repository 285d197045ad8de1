"""VerSe CT slices with vertebra instances, served to mmdet on the fly."""
from mmdet.datasets import BaseDetDataset

from ...formats.verse_slices import index_verse_slices
from ...formats.verse_volumes import VerseCaseReader
from ...registry import DATASETS
from ...utils.pipeline import check_first_transform


@DATASETS.register_module()
class VerseSliceDetDataset(BaseDetDataset):
    """Sagittal (or coronal) slices of VerSe CTs, one instance per vertebra.

    Each labelled slice (at least ``min_pixels`` vertebra pixels) of each
    labelled case under ``data_root`` is an image: the CT slice at
    ``spacing`` mm through a bone window, as 3 identical channels (or the
    neighbouring slices when ``context=1``), with a box, an RLE mask and a
    class per vertebra. Classes are ``('vertebra',)`` (default) or level
    names (``metainfo=dict(classes=spinemm.anatomy.LEVELS)``); instances of
    levels not in the list are dropped. The dataset holds metadata only;
    the pipeline starts with ``dict(type='spinemm.LoadVerseSliceInstances')``
    (pixels and instances), then mmdet's ``LoadAnnotations``.

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
        self.slice_options = dict(plane=plane, context=context,
                                  window=tuple(window), spacing=spacing,
                                  cache_dir=cache_dir)
        self.reader = VerseCaseReader(spacing, cache_dir)
        check_first_transform(kwargs.get('pipeline'),
                              'spinemm.LoadVerseSliceInstances',
                              'VerseSliceDetDataset')
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        slices = index_verse_slices(self.data_root, self.reader, self.plane,
                                    self.splits, self.min_pixels, self.step)
        options = dict(self.slice_options,
                       classes=tuple(self.metainfo['classes']))
        return [
            dict(img_id=i, img_path=f'{s["case"]["ct"]}#{self.plane}'
                 f'{s["index"]}', case=s['case'], slice_index=s['index'],
                 verse_slice=options)
            for i, s in enumerate(slices)
        ]

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
