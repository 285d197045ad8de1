"""Metrics the OpenMMLab libraries lack, in plain numpy."""
from .keypoint_matching import KeypointAccumulator, box_iou, match_by_iou
from .mask_keypoints import keypoints_from_mask
from .verse_metrics import (evaluate_labels, hd95, identify, label_centroids,
                            vertebra_dice)

__all__ = ['KeypointAccumulator', 'box_iou', 'match_by_iou',
           'keypoints_from_mask', 'evaluate_labels', 'hd95', 'identify',
           'label_centroids', 'vertebra_dice']
