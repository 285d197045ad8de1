"""The second stage of a two-stage landmark model: an mmpose top-down model
that places a vertebra's corners again on a crop of its detected box, cut
from the film at the film's own resolution (the detector sees a downscaled
film). One implementation for the AP (``configs/vertebra_ap/td-hm_*``) and
the lateral (``configs/vertebra_lateral/td-hm_*``) models.

The crop and its way back to the film are mmpose's own (``TopdownAffine``
forward, the codec's decoding and the inverse affine in
``TopdownPoseEstimator.add_pred_to_datasample``): a box moved by (dx, dy)
on a film moved by the same gives corners moved by exactly (dx, dy); a
mirrored film and box give mirrored corners with right and left swapped when
the scheme has swap pairs (``tests/test_second_stage.py``).
"""
import cv2
import numpy as np

from ..utils.errors import InputError


class CornerRefiner:
    """``pose_config`` / ``pose_checkpoint``: a top-down model whose keypoint
    names must be ``names`` (an :class:`InputError` naming the config
    otherwise). ``refiner(image, boxes)`` -> corners (N, K, 2) and their
    scores (N, K) in film pixels."""

    def __init__(self, pose_config, pose_checkpoint, names, device='cpu',
                 backend='pytorch'):
        from mmpose.apis import init_model

        from .onnx_backend import init_model_backend
        self.model = init_model_backend(init_model, pose_config,
                                        pose_checkpoint, device, backend)
        id2name = (self.model.dataset_meta or {}).get('keypoint_id2name', {})
        found = tuple(id2name[i] for i in sorted(id2name))
        if found != tuple(names):
            raise InputError(
                f'{pose_config} places keypoints {found}, not '
                f'{tuple(names)}: a second stage must use the detector\'s '
                'keypoint scheme')
        self.names = tuple(names)

    def __call__(self, image, boxes):
        """``image``: BGR or grey array; ``boxes``: (N, 4) x1, y1, x2, y2."""
        from mmpose.apis import inference_topdown
        k = len(self.names)
        boxes = np.asarray(boxes, float).reshape(-1, 4)
        if not len(boxes):
            return np.zeros((0, k, 2)), np.zeros((0, k))
        img = image if image.ndim == 3 else cv2.cvtColor(
            image, cv2.COLOR_GRAY2BGR)
        samples = inference_topdown(self.model, img, boxes)
        corners = np.concatenate([np.asarray(s.pred_instances.keypoints)
                                  for s in samples]).reshape(-1, k, 2)
        scores = np.concatenate([
            np.asarray(s.pred_instances.keypoint_scores)
            for s in samples]).reshape(-1, k)
        return corners, scores
