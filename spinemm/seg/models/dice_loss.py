"""Dourthe et al.'s multi-class Dice loss.

Per class c (foreground only): Dice_c = 2 * sum(p_c * g_c) / (sum(p_c^2) +
sum(g_c^2)) with p the softmax and g the one-hot target (a squared
denominator, as in V-Net); the loss is 1 - mean over foreground classes, so
two stages summed give a loss in [0, 2] and mean Dice = (2 - loss) / 2.
mmseg's DiceLoss (1.2.2) averages over all classes including background and
uses a different smoothing/exponent convention, so it is not this loss.
"""
import torch.nn as nn
import torch.nn.functional as F

from ...registry import MODELS


def dourthe_dice(probs, target, num_classes, ignore_index=255, eps=1e-6):
    """Mean foreground Dice (N,) of softmax ``probs`` (N, C, H, W) against
    integer ``target`` (N, H, W)."""
    valid = (target != ignore_index).unsqueeze(1).float()
    onehot = F.one_hot(target.clamp(0, num_classes - 1).long(),
                       num_classes).permute(0, 3, 1, 2).float() * valid
    p = probs * valid
    dims = (2, 3)
    inter = (p * onehot).sum(dims)
    denom = (p**2).sum(dims) + (onehot**2).sum(dims)
    dice = (2 * inter + eps) / (denom + eps)  # (N, C)
    return dice[:, 1:].mean(1)


@MODELS.register_module()
class DourtheDiceLoss(nn.Module):
    """1 - mean foreground Dice (squared denominator), averaged over the
    batch, times ``loss_weight``."""

    def __init__(self, loss_weight=1.0, ignore_index=255,
                 loss_name='loss_dice'):
        super().__init__()
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self._loss_name = loss_name

    def forward(self, logits, target, **kwargs):
        probs = logits.softmax(1)
        dice = dourthe_dice(probs, target, logits.shape[1], self.ignore_index)
        return self.loss_weight * (1 - dice).mean()

    @property
    def loss_name(self):
        return self._loss_name


@MODELS.register_module()
class PresentClassDiceLoss(nn.Module):
    """1 - mean Dice over the foreground classes the batch's target holds,
    each class pooled over every pixel of the batch (softmax, plain
    denominator). A class no image of the batch shows is left to the
    cross-entropy: :class:`DourtheDiceLoss` scores such a class per image
    near 0 unless its probability is exactly 0 everywhere, which on slabs
    where sacrum or ribs are mostly absent held its loss at 0.78 and
    pushed the rare classes towards never being predicted."""

    def __init__(self, loss_weight=1.0, ignore_index=255, eps=1.0,
                 loss_name='loss_dice'):
        super().__init__()
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self.eps = eps
        self._loss_name = loss_name

    def forward(self, logits, target, **kwargs):
        n = logits.shape[1]
        valid = (target != self.ignore_index).unsqueeze(1).float()
        onehot = F.one_hot(target.clamp(0, n - 1).long(), n).permute(
            0, 3, 1, 2).float() * valid
        probs = logits.softmax(1) * valid
        dims = (0, 2, 3)
        inter = (probs * onehot).sum(dims)[1:]
        truth = onehot.sum(dims)[1:]
        dice = (2 * inter + self.eps) / (probs.sum(dims)[1:] + truth
                                         + self.eps)
        present = truth > 0
        if not present.any():
            return logits.sum() * 0.0
        return self.loss_weight * (1 - dice[present]).mean()

    @property
    def loss_name(self):
        return self._loss_name
