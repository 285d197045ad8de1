"""A classifier of what a crop of a lateral film shows (C2, C3..L5, S1 or
``none``: :data:`spinemm.levels.dataset.LEVEL_CLASSES`), the crop cut
around a detected vertebra (:func:`spinemm.levels.crops.context_crop`)."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from ..registry import MODELS
from .dataset import LEVEL_CLASSES, NONE


def soft_level_targets(levels, num_classes, sigma, none=NONE):
    """(B, num_classes) targets: a Gaussian of ``sigma`` levels around each
    true level over the ordered levels, normalised (neighbouring levels
    look alike; a one-level mistake costs less than a five-level one);
    class ``none`` (not ordered) one-hot."""
    k = torch.arange(num_classes, dtype=torch.float32,
                     device=levels.device)[None]
    t = torch.exp(-0.5 * ((k - levels[:, None].float()) / sigma) ** 2)
    t[:, none] = 0
    is_none = levels == none
    t[is_none] = 0
    t[is_none, none] = 1
    return t / t.sum(1, keepdim=True)


@MODELS.register_module()
class VertebraLevelClassifier(BaseModel):
    """Backbone -> global average pool -> dropout -> linear over the levels.

    Inputs are (B, 1, S, S) uint8 crops, normalised here (mean = std =
    127.5, the ImageNet EfficientNet-Lite0's convention) and repeated to 3
    channels. ``mode='predict'`` gives per crop dict(log_probs=(C,),
    level=class index) (and ``true`` when the data samples carry it)."""

    def __init__(self, backbone, num_classes=len(LEVEL_CLASSES), sigma=0.6,
                 dropout=0.2, data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        channels = self.backbone.channels[-1]
        self.head = nn.Sequential(nn.Dropout(dropout),
                                  nn.Linear(channels, num_classes))
        self.num_classes, self.sigma = num_classes, sigma

    def logits(self, inputs):
        x = inputs.float().div(127.5).sub(1.0)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        feats = self.backbone(x)[-1]
        return self.head(feats.mean((2, 3)))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        logits = self.logits(inputs)
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            levels = torch.as_tensor(data_samples['level'],
                                     device=logits.device)
            target = soft_level_targets(levels, self.num_classes, self.sigma)
            loss = -(target * F.log_softmax(logits, 1)).sum(1).mean()
            return dict(loss_level=loss)
        if mode == 'predict':
            logp = F.log_softmax(logits, 1)
            true = (data_samples or {}).get('level')
            out = []
            for i in range(len(logp)):
                r = dict(log_probs=logp[i].detach().cpu(),
                         level=int(logp[i].argmax()))
                if true is not None:
                    r['true'] = int(true[i])
                out.append(r)
            return out
        raise ValueError(f'mode {mode!r}: tensor, loss or predict')
