from .vertebra_keypoint_metric import VertebraKeypointMetric

__all__ = ['VertebraKeypointMetric']
