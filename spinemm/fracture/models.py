"""The two RSNA 2022 fracture models (mmengine ``BaseModel``s).

* :class:`RsnaSliceModel` (stage 1): a 2D backbone on a 2.5D axial slice,
  global pooling, and a linear head giving the visible ratio of C1..C7
  (sigmoid, BCE) and the C1-C7 box (x0, y0, x1, y1 normalised, sigmoid, L1 +
  optional GIoU, counted only on slices that show C1-C7).
* :class:`RsnaFractureModel` (stage 2): one shared 2D encoder over every
  cropped slice of every vertebra's sequence, a temporal model over each
  sequence (bidirectional GRU, or attention pooling), a fracture logit per
  vertebra, and ``patient_overall`` from a learned head over the seven (or
  their maximum). Trained with the competition-weighted BCE.

Backbones are any registered backbone returning a tuple of feature maps
(the configs use ``mmdet.ResNet``; a pretrained local file goes in its
``init_cfg=dict(type='Pretrained', checkpoint=PATH)``).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel

from ..registry import MODELS
from .scoring import WEIGHTS


def _features(backbone, x):
    feats = backbone(x)
    feat = feats[-1] if isinstance(feats, (tuple, list)) else feats
    return F.adaptive_avg_pool2d(feat, 1).flatten(1)


def giou_loss(pred, target):
    """1 - generalised IoU of (N, 4) x0, y0, x1, y1 boxes."""
    x0 = torch.max(pred[:, 0], target[:, 0])
    y0 = torch.max(pred[:, 1], target[:, 1])
    x1 = torch.min(pred[:, 2], target[:, 2])
    y1 = torch.min(pred[:, 3], target[:, 3])
    inter = (x1 - x0).clamp(min=0) * (y1 - y0).clamp(min=0)

    def area(b):
        return (b[:, 2] - b[:, 0]).clamp(min=0) * \
            (b[:, 3] - b[:, 1]).clamp(min=0)

    union = area(pred) + area(target) - inter
    hull = (torch.max(pred[:, 2], target[:, 2]) -
            torch.min(pred[:, 0], target[:, 0])) * \
        (torch.max(pred[:, 3], target[:, 3]) -
         torch.min(pred[:, 1], target[:, 1]))
    iou = inter / union.clamp(min=1e-6)
    return 1 - (iou - (hull - union) / hull.clamp(min=1e-6))


def competition_bce(logits, labels, valid=None):
    """The competition's weighted BCE as a training loss.

    Args:
        logits, labels: (B, 8) [patient_overall, C1..C7].
        valid: (B, 7) 1 for a vertebra that had a sequence (others weigh 0).

    Returns:
        the mean over studies of each study's weighted BCE divided by its
        sum of weights: what ``weighted_log_loss`` scores.
    """
    w_table = torch.as_tensor(WEIGHTS, dtype=logits.dtype,
                              device=logits.device)
    w = w_table[:, 0] * (1 - labels) + w_table[:, 1] * labels
    if valid is not None:
        w = w * torch.cat([torch.ones_like(valid[:, :1]), valid], 1)
    bce = F.binary_cross_entropy_with_logits(logits, labels,
                                             reduction='none')
    return ((w * bce).sum(1) / w.sum(1).clamp(min=1e-6)).mean()


def _collated(data_samples, key):
    """A field of default-collated samples (a dict of batched values)."""
    return data_samples[key]


def position_features(position, num_freqs=4):
    """(B,) relative slice positions (0 head .. 1 foot) -> (B, 1 + 2F)
    Fourier features."""
    z = position.float()[:, None]
    f = torch.arange(1, num_freqs + 1, device=z.device, dtype=z.dtype)
    return torch.cat([z, torch.sin(torch.pi * z * f),
                      torch.cos(torch.pi * z * f)], 1)


@MODELS.register_module()
class RsnaSliceModel(BaseModel):
    """Stage 1: visible ratios of C1..C7 and the C1-C7 box on one slice.

    ``use_position=True`` also gives the head the slice's relative position
    in its study (0 at the top slice, 1 at the bottom) as Fourier features:
    on phantoms, whose C3-C7 look alike slice by slice, the level is
    otherwise unknowable from one slice; on real CT the anatomy tells more
    and the position depends on the field of view, so it is off by default.
    """

    def __init__(self, backbone, feat_channels, box_weight=5.0,
                 giou_weight=0.0, dropout=0.0, use_position=False,
                 hidden=128, data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.dropout = nn.Dropout(dropout)
        self.use_position = use_position
        extra = 9 if use_position else 0
        self.head = nn.Sequential(nn.Linear(feat_channels + extra, hidden),
                                  nn.ReLU(inplace=True),
                                  nn.Linear(hidden, 7 + 4))
        self.box_weight = box_weight
        self.giou_weight = giou_weight

    def _heads(self, inputs, data_samples):
        feats = _features(self.backbone, inputs)
        if self.use_position:
            if data_samples is None or 'position' not in data_samples:
                raise ValueError('use_position=True needs each slice\'s '
                                 'position (PackRsnaSlice gives it)')
            pos = data_samples['position'].to(feats.device)
            feats = torch.cat([feats, position_features(pos)], 1)
        out = self.head(self.dropout(feats))
        return out[:, :7], out[:, 7:]

    def forward(self, inputs, data_samples=None, mode='tensor'):
        ratio_logits, box_logits = self._heads(inputs, data_samples)
        if mode == 'tensor':
            return ratio_logits, box_logits
        if mode == 'loss':
            gt_r = _collated(data_samples, 'gt_ratios')
            gt_b = _collated(data_samples, 'gt_box')
            valid = _collated(data_samples, 'box_valid')
            losses = dict(loss_ratio=F.binary_cross_entropy_with_logits(
                ratio_logits, gt_r))
            box = box_logits.sigmoid()
            n = valid.sum().clamp(min=1)
            l1 = (F.l1_loss(box, gt_b, reduction='none').sum(1) * valid)
            losses['loss_box'] = self.box_weight * l1.sum() / n
            if self.giou_weight:
                g = giou_loss(box, gt_b) * valid
                losses['loss_giou'] = self.giou_weight * g.sum() / n
            return losses
        if mode == 'predict':
            ratios, boxes = ratio_logits.sigmoid(), box_logits.sigmoid()
            out = []
            for i in range(len(ratios)):
                item = dict(pred_ratios=ratios[i].detach().cpu(),
                            pred_box=boxes[i].detach().cpu())
                if data_samples is not None:
                    for k in ('uid', 'slice_number', 'gt_ratios', 'gt_box',
                              'box_valid'):
                        item[k] = data_samples[k][i]
                out.append(item)
            return out
        raise ValueError(f'mode must be tensor, loss or predict, not {mode}')


class AttentionPool(nn.Module):
    """Attention pooling over a sequence (Ilse et al. 2018, gated-free)."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(channels, hidden), nn.Tanh(),
                                   nn.Linear(hidden, 1))
        self.out_channels = channels

    def forward(self, x):  # (B, N, C)
        a = torch.softmax(self.score(x), dim=1)
        return (a * x).sum(1)


class GRUPool(nn.Module):
    """Bidirectional GRU over a sequence, mean- and max-pooled."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.gru = nn.GRU(channels, hidden, batch_first=True,
                          bidirectional=True)
        self.out_channels = 4 * hidden

    def forward(self, x):
        y, _ = self.gru(x)
        return torch.cat([y.mean(1), y.max(1).values], 1)


@MODELS.register_module()
class RsnaFractureModel(BaseModel):
    """Stage 2: per-vertebra fracture logits from sequences of crops.

    Args:
        encoder: backbone config (2D, on one crop).
        feat_channels: the encoder's output channels.
        temporal: ``'gru'`` (bidirectional GRU) or ``'attention'``.
        patient_head: ``'learned'`` (a linear head over the seven logits and
            their maximum, started as the maximum) or ``'max'``.
        unseen_prior: (7,) probability given to a vertebra without a
            sequence at inference (default: the RSNA 2022 training
            frequencies of C1..C7).
    """

    def __init__(self, encoder, feat_channels, temporal='gru', hidden=64,
                 patient_head='learned', dropout=0.2,
                 unseen_prior=(0.072, 0.141, 0.036, 0.053, 0.080, 0.137,
                               0.195),
                 data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        if temporal == 'gru':
            self.temporal = GRUPool(feat_channels, hidden)
        elif temporal == 'attention':
            self.temporal = AttentionPool(feat_channels, hidden)
        else:
            raise ValueError(f"temporal must be 'gru' or 'attention', not "
                             f'{temporal!r}')
        if patient_head not in ('learned', 'max'):
            raise ValueError(f"patient_head must be 'learned' or 'max', "
                             f'not {patient_head!r}')
        self.patient_head = patient_head
        self.dropout = nn.Dropout(dropout)
        self.vertebra = nn.Linear(self.temporal.out_channels, 1)
        # patient logit from [7 logits, max]; starts as the maximum
        self.patient = nn.Linear(8, 1)
        with torch.no_grad():
            self.patient.weight.zero_()
            self.patient.weight[0, 7] = 1.0
            self.patient.bias.zero_()
        self.register_buffer('unseen_prior',
                             torch.tensor(unseen_prior, dtype=torch.float32))

    def logits(self, inputs):
        """(B, 7, N, C, S, S) -> (B, 8) logits [patient_overall, C1..C7]."""
        b, v, n = inputs.shape[:3]
        feats = _features(self.encoder, inputs.flatten(0, 2))
        seq = feats.view(b * v, n, -1)
        vert = self.vertebra(self.dropout(self.temporal(seq))).view(b, v)
        top = vert.max(1, keepdim=True).values
        if self.patient_head == 'max':
            patient = top
        else:
            patient = self.patient(torch.cat([vert, top], 1))
        return torch.cat([patient, vert], 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        logits = self.logits(inputs)
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            return dict(loss_rsna=competition_bce(
                logits, data_samples['gt_labels'], data_samples['valid']))
        if mode == 'predict':
            probs = logits.sigmoid().detach()
            if data_samples is not None and 'valid' in data_samples:
                valid = data_samples['valid'].to(probs.device).bool()
                prior = self.unseen_prior.to(probs.device).expand_as(valid)
                probs[:, 1:] = torch.where(valid, probs[:, 1:], prior)
            out = []
            for i in range(len(probs)):
                item = dict(pred_probs=probs[i].cpu())
                if data_samples is not None:
                    for k in ('uid', 'gt_labels', 'valid'):
                        if k in data_samples:
                            item[k] = data_samples[k][i]
                out.append(item)
            return out
        raise ValueError(f'mode must be tensor, loss or predict, not {mode}')
