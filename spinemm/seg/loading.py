"""Pipeline transforms that load the pixels of spinemm's mmseg datasets
(the datasets hold metadata only, as mmseg's own do):

* ``spinemm.LoadVerseSlice``: a :class:`VerseSliceSegDataset` item -> the
  slice (or ``2k + 1``-slice slab) through its HU window and the class map;
* ``spinemm.LoadImageLabelPair``: an :class:`ImageLabelPairDataset` item ->
  the DICOM (SpineTK-normalised) or PNG slice and its checked label map.

Both set ``img``, ``img_shape``, ``ori_shape``, ``gt_seg_map`` and
``seg_fields``, so mmseg's transforms (``RandomCrop``, ``Resize``, ...)
and ``PackSegInputs`` follow.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from ..formats.image_label_pairs import read_image, read_label_map
from ..formats.verse_slices import VerseSliceReader, level_classes
from ..io import spinetk_normalize
from ..registry import TRANSFORMS


def _set_pair(results, img, label):
    results.update(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                   gt_seg_map=label.astype(np.uint8))
    fields = list(results.get('seg_fields') or [])
    results['seg_fields'] = fields + ['gt_seg_map'] * \
        ('gt_seg_map' not in fields)
    return results


@TRANSFORMS.register_module()
class LoadVerseSlice(BaseTransform):
    """Reads ``case``, ``slice_index`` and ``verse_slice`` (plane, context,
    window, spacing, cache_dir, classes) of a ``VerseSliceSegDataset``
    item. One channel is served as (H, W), a 2.5D slab as (H, W, 2k + 1);
    the class map follows the dataset's classes (binary, or one per
    level)."""

    def __init__(self):
        self.reader = VerseSliceReader()

    def transform(self, results):
        read = self.reader(results)
        img = read['img']
        if img.shape[-1] == 1:
            img = img[..., 0]
        if read['labels'] is None:
            raise ValueError(f'{results["case"]["ct"]}: the case has no '
                             'vertebra mask to train or score on')
        label = level_classes(read['labels'],
                              results['verse_slice']['classes'])
        return _set_pair(results, img, label)


@TRANSFORMS.register_module()
class LoadImageLabelPair(BaseTransform):
    """Reads ``img_path`` / ``seg_map_path`` of an ``ImageLabelPairDataset``
    item: DICOM slices (or any above 8 bits) SpineTK-normalised to uint8,
    PNGs as grey; the label map checked against ``label_values`` and mapped
    by ``value_to_class`` (both from the item). An image and label map of
    different sizes are refused, naming both files."""

    def transform(self, results):
        img = read_image(results['img_path'])
        if results['img_path'].lower().endswith('.dcm') or img.max() > 255:
            img = spinetk_normalize(img)
        img = np.clip(img, 0, 255).astype(np.uint8)
        label = read_label_map(results['seg_map_path'],
                               results.get('label_values'))
        if label.shape != img.shape[:2]:
            raise ValueError(
                f"{results['img_path']} is {img.shape[0]}x{img.shape[1]} px "
                f"but its label map {results['seg_map_path']} is "
                f'{label.shape[0]}x{label.shape[1]}: an image and its labels '
                'must have the same size (a resized label map would be '
                'misaligned)')
        value_to_class = results.get('value_to_class')
        if value_to_class is not None:
            lut = np.zeros(int(label.max()) + 1, np.uint8)
            for v, c in value_to_class.items():
                if int(v) < len(lut):
                    lut[int(v)] = c
            label = lut[label]
        return _set_pair(results, img, label)
