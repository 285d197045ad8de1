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


LATERAL4_META_FILE = osp.join(osp.dirname(osp.abspath(__file__)),
                              'lateral4_meta.py')


@DATASETS.register_module()
class LateralVertebraPoseDataset(VertebraPoseDataset):
    """One vertebral body per sample (top-down), the lateral 4-corner
    scheme (:file:`lateral4_meta.py`, no flip pairs): the per-vertebra json
    of ``tools/dataset_converters/lateral2coco.py``. C2 and S1 come with
    their one annotated endplate (the other two corners invisible);
    ``iscrowd`` stretches are skipped."""

    METAINFO = dict(from_file=LATERAL4_META_FILE)


AP4_META_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'ap4_meta.py')


@DATASETS.register_module()
class APVertebraPoseDataset(VertebraPoseDataset):
    """One vertebral body per sample (top-down) on an AP film, the 4-corner
    AP scheme (:file:`ap4_meta.py`: right and left swap under a horizontal
    flip): the per-vertebra json of ``tools/dataset_converters/aasce2coco.py``.
    """

    METAINFO = dict(from_file=AP4_META_FILE)
