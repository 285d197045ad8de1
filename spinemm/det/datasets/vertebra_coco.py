"""COCO vertebra json as an mmdet dataset."""
import numpy as np
from mmdet.datasets import CocoDataset

from ...anatomy import KEYPOINT_NAMES, SKELETON
from ...formats import load_coco_json
from ...registry import DATASETS


@DATASETS.register_module()
class VertebraCocoDataset(CocoDataset):
    """Vertebral bodies with boxes, instance masks and the six keypoints.

    One class (``vertebra``) by default; with a json whose categories are
    levels, ``metainfo=dict(classes=spinemm.anatomy.LEVELS)`` trains one
    class per level. Besides mmdet's instance fields, each instance
    keeps ``keypoints`` ((6, 3) x, y, visibility in the order of
    :data:`spinemm.anatomy.KEYPOINT_NAMES`) and, where the json has it, its
    ``level``; images keep ``pixel_spacing`` (mm) and ``facing``. Keypoint identity is
    anatomical: flips move the points and keep their names.
    """

    METAINFO = dict(
        classes=('vertebra', ),
        palette=[(220, 20, 60)],
        keypoint_names=KEYPOINT_NAMES,
        skeleton=SKELETON,
        flip_keeps_keypoint_names=True)

    def __init__(self, *args, oversample=None, **kwargs):
        """``oversample=dict(key='hardware', times=3)`` repeats training
        images whose COCO image entry has a true ``key`` (SpineTK's stratum
        flag, copied from metadata.json by the converter) ``times`` times."""
        self.oversample = oversample
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        # fail early with the file's name rather than deep inside pycocotools
        load_coco_json(self.ann_file)
        data_list = super().load_data_list()
        if self.oversample and not self.test_mode:
            key, times = self.oversample['key'], int(self.oversample['times'])
            data_list = [d for d in data_list
                         for _ in range(times if d.get(key) else 1)]
        return data_list

    def parse_data_info(self, raw_data_info):
        data_info = super().parse_data_info(raw_data_info)
        img_info = raw_data_info['raw_img_info']
        keys = ['pixel_spacing', 'facing']
        if self.oversample:
            keys.append(self.oversample['key'])
        for key in keys:
            if key in img_info:
                data_info[key] = img_info[key]
        # mmdet skips some annotations (ignored, empty, other classes) and
        # keeps the order of the rest: pair each instance with the next
        # annotation whose box is the instance's box
        anns = iter(raw_data_info['raw_ann_info'])
        for inst in data_info['instances']:
            for ann in anns:
                x, y, w, h = ann['bbox']
                if [x, y, x + w, y + h] == inst['bbox']:
                    break
            else:
                raise ValueError(f'{self.ann_file}: cannot pair instances of '
                                 f'image {img_info["file_name"]}')
            if ann.get('keypoints'):
                inst['keypoints'] = np.asarray(ann['keypoints'],
                                               np.float32).reshape(-1, 3)
            if 'level' in ann:
                inst['level'] = ann['level']
        return data_info
