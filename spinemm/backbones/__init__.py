"""Backbones shared by the detectors, pose models and segmentors."""
from .efficientnet_lite import EfficientNetLite0, imagenet_lite0_state_dict

__all__ = ['EfficientNetLite0', 'imagenet_lite0_state_dict']
