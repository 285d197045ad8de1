"""COCO vertebra json as an mmpose top-down dataset."""
import os.path as osp

from mmpose.datasets.datasets.base import BaseCocoStyleDataset

from ..registry import DATASETS

META_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'vertebra_meta.py')


@DATASETS.register_module()
class VertebraPoseDataset(BaseCocoStyleDataset):
    """One vertebral body per sample (top-down), six keypoints.

    Boxes come from the json in training and from a detector's COCO
    detection file at test time (``bbox_file``: ``tools/test.py --out`` of a
    ``configs/vertebra_det`` model writes one). The meta
    (:file:`vertebra_meta.py`) has no flip pairs: names are anatomical.
    """

    METAINFO = dict(from_file=META_FILE)
