"""Slices paired with label maps by file stem (Dourthe's DICOM+label layout,
or PNG images as in ../shared/data/real/mr2d_lumbar), for mmseg."""
import numpy as np
from mmengine.logging import MMLogger
from mmseg.datasets import BaseSegDataset

from ...formats.image_label_pairs import (label_value_set, pair_by_stem,
                                          read_image, read_label_map)
from ...io import spinetk_normalize
from ...registry import DATASETS


@DATASETS.register_module()
class ImageLabelPairDataset(BaseSegDataset):
    """``<data_root>/<img_dir>/<stem>.{dcm,png}`` with
    ``<data_root>/<label_dir>/<stem>.{npy,png,jpg}``.

    Unpaired stems are refused (listed); the label values of the whole set
    are checked against ``label_values`` (files with other values are named)
    and logged. ``value_to_class`` maps label values to class indices (e.g.
    ``{2: 1}`` keeps only vertebrae as class 1, everything else 0); by
    default values are class indices. ``stems`` / ``exclude_stems`` select a
    subset (a held-back split). DICOM slices are SpineTK-normalised to 8
    bits; PNGs are read as grey. The pipeline starts after loading.
    """

    METAINFO = dict(classes=('background', 'disc', 'vertebra'),
                    palette=[[0, 0, 0], [0, 200, 255], [220, 20, 60]])

    def __init__(self, img_dir='images', label_dir='masks', stems=None,
                 exclude_stems=None, label_values=None, value_to_class=None,
                 **kwargs):
        self.img_dir, self.label_dir = img_dir, label_dir
        self.stems = None if stems is None else [str(s) for s in stems]
        self.exclude_stems = {str(s) for s in exclude_stems or ()}
        self.label_values = label_values
        self.value_to_class = value_to_class
        metainfo = kwargs.get('metainfo')
        if metainfo and 'classes' in metainfo and 'palette' not in metainfo:
            rng = np.random.RandomState(1)
            palette = [[0, 0, 0]] + rng.randint(
                40, 255, (len(metainfo['classes']) - 1, 3)).tolist()
            kwargs['metainfo'] = dict(metainfo, palette=palette)
        super().__init__(**kwargs)

    @classmethod
    def get_label_map(cls, new_classes=None):
        return None  # value_to_class does the mapping

    def load_data_list(self):
        import os.path as osp
        pairs = pair_by_stem(osp.join(self.data_root, self.img_dir),
                             osp.join(self.data_root, self.label_dir))
        values = label_value_set(pairs, self.label_values)
        MMLogger.get_current_instance().info(
            f'{self.data_root}: label values (files holding each): {values}')
        if self.stems is not None:
            missing = sorted(set(self.stems) - {s for s, _, _ in pairs})
            if missing:
                raise ValueError(f'{self.data_root}: stems {missing} have no '
                                 'image/label pair')
        return [dict(img_path=img, seg_map_path=lab, stem=stem,
                     label_map=None, reduce_zero_label=False, seg_fields=[])
                for stem, img, lab in pairs
                if (self.stems is None or stem in self.stems)
                and stem not in self.exclude_stems]

    def get_data_info(self, idx):
        info = super().get_data_info(idx)
        img = read_image(info['img_path'])
        if info['img_path'].lower().endswith('.dcm') or img.max() > 255:
            img = spinetk_normalize(img)
        img = np.clip(img, 0, 255).astype(np.uint8)
        label = read_label_map(info['seg_map_path'], self.label_values)
        if label.shape != img.shape[:2]:
            raise ValueError(
                f"{info['img_path']} is {img.shape[0]}x{img.shape[1]} px but "
                f"its label map {info['seg_map_path']} is {label.shape[0]}x"
                f'{label.shape[1]}: an image and its labels must have the '
                'same size (a resized label map would be misaligned)')
        if self.value_to_class is not None:
            lut = np.zeros(int(label.max()) + 1, np.uint8)
            for v, c in self.value_to_class.items():
                if int(v) < len(lut):
                    lut[int(v)] = c
            label = lut[label]
        info.update(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                    gt_seg_map=label.astype(np.uint8),
                    seg_fields=['gt_seg_map'])
        return info
