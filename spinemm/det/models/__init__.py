from .keypoint_head import VertebraKeypointHead
from .keypoint_roi_head import VertebraCascadeRoIHead

__all__ = ['VertebraKeypointHead', 'VertebraCascadeRoIHead']
