"""A heatmap head for the six vertebral keypoints with an endplate term."""
import torch
from mmpose.models.heads import HeatmapHead

from ..registry import MODELS

#: (anterior, middle, posterior) keypoint indices of each endplate
ENDPLATES = ((0, 1, 2), (5, 4, 3))


def heatmap_centroid(heatmaps):
    """Differentiable position (x, y) per heatmap: the mean over pixels
    weighted by the squared positive response."""
    n, k, h, w = heatmaps.shape
    weight = heatmaps.clamp(min=0)**2
    total = weight.sum((-1, -2)).clamp(min=1e-8)
    ys = torch.arange(h, device=heatmaps.device, dtype=heatmaps.dtype)
    xs = torch.arange(w, device=heatmaps.device, dtype=heatmaps.dtype)
    x = (weight.sum(-2) * xs).sum(-1) / total
    y = (weight.sum(-1) * ys).sum(-1) / total
    return torch.stack([x, y], -1)


def endplate_geometry(points):
    """Per endplate: the middle point's offset from its corners' mid-point
    and the anterior-to-posterior vector, (N, 2 endplates, 2 terms, 2)."""
    out = []
    for a, m, p in ENDPLATES:
        ant, mid, post = points[:, a], points[:, m], points[:, p]
        out.append(torch.stack([mid - (ant + post) / 2, post - ant], 1))
    return torch.stack(out, 1)


@MODELS.register_module()
class VertebraHeatmapHead(HeatmapHead):
    """mmpose's ``HeatmapHead`` plus an endplate-consistency term.

    The three points of an endplate are not independent: the corners fix
    its direction and length, and the mid-point sits between them (lower in
    a biconcave fracture). Independent per-point heatmaps can each be near
    their target yet place a mid-point beyond a corner. The term compares,
    per endplate, the middle point's offset from the corners' mid-point and
    the anterior-to-posterior vector between prediction and ground truth,
    both taken as heatmap centroids (the same differentiable operator on
    both, so it has no bias of its own), L1 in heatmap pixels, over
    endplates whose three points are labelled. ``geometric_weight=0`` is
    the plain head (the ablation).
    """

    def __init__(self, *args, geometric_weight=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.geometric_weight = geometric_weight

    def loss(self, feats, batch_data_samples, train_cfg={}):
        if self.geometric_weight <= 0:
            return super().loss(feats, batch_data_samples, train_cfg)
        # mmpose's loss runs the head once; keep that output for the
        # geometric term instead of a second forward (an instance attribute
        # shadows the method for this call only)
        kept = []
        forward = self.forward

        def forward_once(x):
            kept.append(forward(x))
            return kept[-1]
        self.forward = forward_once
        try:
            losses = super().loss(feats, batch_data_samples, train_cfg)
        finally:
            del self.forward
        pred = kept[0]
        gt = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples])
        weights = torch.cat([d.gt_instance_labels.keypoint_weights
                             for d in batch_data_samples])
        g_pred = endplate_geometry(heatmap_centroid(pred))
        g_gt = endplate_geometry(heatmap_centroid(gt))
        valid = torch.stack([(weights[:, list(e)] > 0).all(1)
                             for e in ENDPLATES], 1)  # (N, 2)
        diff = (g_pred - g_gt).abs().sum(-1).sum(-1)  # (N, 2)
        n = valid.sum().clamp(min=1)
        losses['loss_geom'] = self.geometric_weight * (
            diff * valid).sum() / n
        return losses
