"""A Keypoint R-CNN style head for the six vertebral keypoints.

RoI features -> ``num_convs`` 3x3 convs -> a 4x4 stride-2 transposed conv ->
one heatmap per keypoint (``2 * roi_feat_size`` square). Training is the
spatial softmax cross-entropy of Mask R-CNN's keypoint branch (He et al.
2017): each visible keypoint is one class among the heatmap's cells, so each
heatmap is a distribution over where that keypoint is; points outside their
RoI carry no loss. At inference the peak cell is refined per axis by a
parabola through the log-probabilities of the peak and its two neighbours
(exact for a Gaussian-shaped peak, the usual sub-pixel step of heatmap
decoders; the offset is kept within half a cell, and 0 at the heatmap
border); the score is the probability mass of the 3x3 window around the
peak (in [0, 1]: near 1 for a sharp, confident peak).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from ...registry import MODELS


def expand_rois(rois, factor):
    """Scale (N, 5) rois [batch_idx, x1, y1, x2, y2] about their centres."""
    if factor == 1.0:
        return rois
    cx = (rois[:, 1] + rois[:, 3]) / 2
    cy = (rois[:, 2] + rois[:, 4]) / 2
    hw = (rois[:, 3] - rois[:, 1]) * factor / 2
    hh = (rois[:, 4] - rois[:, 2]) * factor / 2
    return torch.stack([rois[:, 0], cx - hw, cy - hh, cx + hw, cy + hh], 1)


@MODELS.register_module()
class VertebraKeypointHead(BaseModule):
    """Heatmap head for ``num_keypoints`` points per RoI.

    Args:
        in_channels: RoI feature channels.
        num_convs / conv_out_channels: the conv stack (Keypoint R-CNN uses
            8 x 512; 4 x 256 suffices for six points on a vertebral body).
        roi_feat_size: RoI feature side; heatmaps are twice that.
        loss_weight: weight of the cross-entropy (mean over visible points).
    """

    def __init__(self, in_channels=256, num_convs=4, conv_out_channels=256,
                 num_keypoints=6, roi_feat_size=14, loss_weight=1.0,
                 conv_cfg=None, norm_cfg=None, init_cfg=None):
        init_cfg = init_cfg or [
            dict(type='Kaiming', layer=['Conv2d', 'ConvTranspose2d'],
                 mode='fan_out', nonlinearity='relu')
        ]
        super().__init__(init_cfg=init_cfg)
        self.num_keypoints = num_keypoints
        self.roi_feat_size = roi_feat_size
        self.heatmap_size = 2 * roi_feat_size
        self.loss_weight = loss_weight
        convs = []
        for i in range(num_convs):
            convs.append(ConvModule(in_channels if i == 0 else
                                    conv_out_channels, conv_out_channels, 3,
                                    padding=1, conv_cfg=conv_cfg,
                                    norm_cfg=norm_cfg))
        self.convs = nn.Sequential(*convs)
        last = conv_out_channels if num_convs else in_channels
        self.deconv = nn.ConvTranspose2d(last, num_keypoints, 4, stride=2,
                                         padding=1)

    def forward(self, feats):
        """(N, C, S, S) RoI features -> (N, K, 2S, 2S) heatmap logits."""
        return self.deconv(self.convs(feats))

    def get_targets(self, rois, gt_keypoints):
        """Cell index of each keypoint in its RoI's heatmap, and whether it
        counts (visible and inside the RoI).

        Args:
            rois: (N, 5) the (expanded) RoIs of positive samples.
            gt_keypoints: (N, K, 3) x, y, visibility of their ground truth.
        """
        m = self.heatmap_size
        x1, y1 = rois[:, 1:2], rois[:, 2:3]
        w = (rois[:, 3:4] - x1).clamp(min=1e-3)
        h = (rois[:, 4:5] - y1).clamp(min=1e-3)
        u = (gt_keypoints[..., 0] - x1) / w * m
        v = (gt_keypoints[..., 1] - y1) / h * m
        valid = (gt_keypoints[..., 2] > 0) & (u >= 0) & (u < m) & \
            (v >= 0) & (v < m)
        iu = u.floor().long().clamp(0, m - 1)
        iv = v.floor().long().clamp(0, m - 1)
        return iv * m + iu, valid

    def loss(self, logits, rois, gt_keypoints):
        """Spatial softmax cross-entropy, mean over counted keypoints."""
        target, valid = self.get_targets(rois, gt_keypoints)
        n, k = target.shape
        flat = logits.reshape(n * k, -1)
        if valid.any():
            loss = F.cross_entropy(flat[valid.reshape(-1)],
                                   target.reshape(-1)[valid.reshape(-1)])
        else:
            loss = flat.sum() * 0
        return dict(loss_kpt=loss * self.loss_weight)

    def decode(self, logits, rois):
        """Heatmaps -> keypoints (N, K, 2) in image coordinates and scores
        (N, K) in [0, 1]."""
        n, k, m, _ = logits.shape
        if n == 0:
            return logits.new_zeros((0, k, 2)), logits.new_zeros((0, k))
        logp = logits.reshape(n, k, m * m).log_softmax(-1)
        peak = logp.argmax(-1)
        py, px = peak // m, peak % m

        def at(dy, dx):
            y, x = py + dy, px + dx
            ok = (y >= 0) & (y < m) & (x >= 0) & (x < m)
            idx = (y.clamp(0, m - 1) * m + x.clamp(0, m - 1))[..., None]
            return logp.gather(-1, idx)[..., 0], ok

        centre, _ = at(0, 0)
        offsets = []
        for dy, dx in ((0, 1), (1, 0)):  # x then y
            lo, ok_lo = at(-dy, -dx)
            hi, ok_hi = at(dy, dx)
            curv = lo - 2 * centre + hi  # < 0 at a peak
            off = 0.5 * (lo - hi) / curv.clamp(max=-1e-6)
            offsets.append(torch.where(ok_lo & ok_hi, off.clamp(-0.5, 0.5),
                                       torch.zeros_like(off)))
        u = px + 0.5 + offsets[0]  # cell centres are at +0.5
        v = py + 0.5 + offsets[1]
        # score: probability mass of the 3x3 window around the peak
        score = torch.zeros_like(centre)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                val, ok = at(dy, dx)
                score = score + torch.where(ok, val.exp(),
                                            torch.zeros_like(val))
        x1, y1 = rois[:, 1:2], rois[:, 2:3]
        bw, bh = rois[:, 3:4] - x1, rois[:, 4:5] - y1
        kpts = torch.stack([x1 + u / m * bw, y1 + v / m * bh], -1)
        return kpts, score.clamp(max=1.0)
