"""Metrics the OpenMMLab libraries lack, in plain numpy."""
from .keypoint_matching import KeypointAccumulator, box_iou, match_by_iou
from .mask_keypoints import keypoints_from_mask

__all__ = ['KeypointAccumulator', 'box_iou', 'match_by_iou',
           'keypoints_from_mask']
