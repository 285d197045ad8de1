"""``spinemm.LoadVerseSliceInstances``: the pixels and vertebra instances of
a :class:`~spinemm.det.datasets.VerseSliceDetDataset` item (the dataset
holds metadata only, as mmdet's own do)."""
import numpy as np
from mmcv.transforms import BaseTransform

from ...formats.verse_slices import VerseSliceReader, slice_instances
from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadVerseSliceInstances(BaseTransform):
    """Reads ``case``, ``slice_index`` and ``verse_slice`` (plane, context,
    window, spacing, cache_dir, classes) of the item and sets ``img`` (3
    channels: the slice repeated, or the 2.5D slab of ``context=1``),
    ``img_shape`` / ``ori_shape``, ``pixel_spacing`` and ``instances`` (a
    box, an RLE mask and a class per vertebra; levels not among the classes
    are dropped), which mmdet's ``LoadAnnotations`` turns into
    ``gt_bboxes`` / ``gt_masks`` next.

    Args:
        min_pixels: smallest vertebra cross-section kept as an instance.
    """

    def __init__(self, min_pixels=20):
        self.min_pixels = min_pixels
        self.reader = VerseSliceReader()

    def transform(self, results):
        read = self.reader(results)
        img = read['img']
        if img.shape[-1] == 1:
            img = np.repeat(img, 3, -1)
        classes = results['verse_slice']['classes']
        instances = []
        for inst in slice_instances(read['labels'], self.min_pixels):
            if tuple(classes) == ('vertebra', ):
                cls = 0
            elif inst['level'] in classes:
                cls = classes.index(inst['level'])
            else:
                continue
            instances.append(dict(bbox=inst['bbox'], bbox_label=cls,
                                  mask=inst['mask'], ignore_flag=0,
                                  level=inst['level']))
        sp = read['spacing']
        results.update(img=img, img_shape=img.shape[:2],
                       ori_shape=img.shape[:2], height=img.shape[0],
                       width=img.shape[1], instances=instances,
                       pixel_spacing=[sp, sp])
        return results
