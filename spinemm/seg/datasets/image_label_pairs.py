"""Slices paired with label maps by file stem (Dourthe's DICOM+label layout,
or PNG images as in ../shared/data/real/mr2d_lumbar), for mmseg."""
import numpy as np
from mmengine.logging import MMLogger
from mmseg.datasets import BaseSegDataset

from ...formats.image_label_pairs import label_value_set, pair_by_stem
from ...registry import DATASETS
from ...utils.pipeline import check_first_transform


@DATASETS.register_module()
class ImageLabelPairDataset(BaseSegDataset):
    """``<data_root>/<img_dir>/<stem>.{dcm,png}`` with
    ``<data_root>/<label_dir>/<stem>.{npy,png,jpg}``.

    Unpaired stems are refused (listed); the label values of the whole set
    are checked against ``label_values`` (files with other values are named)
    and logged. ``value_to_class`` maps label values to class indices (e.g.
    ``{2: 1}`` keeps only vertebrae as class 1, everything else 0); by
    default values are class indices. ``stems`` / ``exclude_stems`` select a
    subset (a held-back split).

    The dataset holds metadata only; the pipeline starts with
    ``dict(type='spinemm.LoadImageLabelPair')``, which reads the pixels
    (DICOM slices SpineTK-normalised to 8 bits, PNGs as grey).
    """

    METAINFO = dict(classes=('background', 'disc', 'vertebra'),
                    palette=[[0, 0, 0], [0, 200, 255], [220, 20, 60]])

    def __init__(self, img_dir='images', label_dir='masks', stems=None,
                 exclude_stems=None, label_values=None, value_to_class=None,
                 **kwargs):
        check_first_transform(kwargs.get('pipeline'),
                              'spinemm.LoadImageLabelPair',
                              'ImageLabelPairDataset')
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
                     label_values=self.label_values,
                     value_to_class=self.value_to_class,
                     label_map=None, reduce_zero_label=False, seg_fields=[])
                for stem, img, lab in pairs
                if (self.stems is None or stem in self.stems)
                and stem not in self.exclude_stems]
