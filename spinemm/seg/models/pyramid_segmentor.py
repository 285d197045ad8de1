"""Dourthe et al.'s multi-scale pyramid segmentor (Spine 2021) for mmseg.

Stage 1 segments the input downsampled 2x; stage 2 segments the full
resolution image concatenated with stage 1's softmax, upsampled. Both
stages are V-Net style encoder-decoders trained with the Dice loss of
:mod:`.dice_loss` (stage 1 against the labels downsampled by nearest
neighbour); the losses are summed and the log also shows ``mean_dice`` =
(2 - loss) / 2 over the two stages. Inference uses stage 2.

It is an mmseg ``EncoderDecoder`` whose ``encode_decode`` is the two-stage
network, so inference is mmseg's own: ``test_cfg=dict(mode='whole')`` (the
default) or ``dict(mode='slide', crop_size=(h, w), stride=(h, w))``
(logits averaged where windows overlap), as with any mmseg model.
"""
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.models.segmentors.encoder_decoder import EncoderDecoder
from mmseg.structures import SegDataSample  # noqa: F401  (type of outputs)

from ...registry import MODELS
from .vnet import VNet2d


def check_test_cfg(test_cfg, multiple):
    """``test_cfg`` as a ConfigDict mmseg's inference reads, or a ValueError
    naming what cannot be honoured: mode 'whole' or 'slide'; a sliding
    window of ``crop_size`` (each side a multiple of ``multiple``, what the
    network takes) moved by ``stride``."""
    cfg = ConfigDict(test_cfg or dict(mode='whole'))
    mode = cfg.setdefault('mode', 'whole')
    allowed = {'whole': {'mode'}, 'slide': {'mode', 'crop_size', 'stride'}}
    if mode not in allowed:
        raise ValueError(f"test_cfg.mode is 'whole' or 'slide', not "
                         f"{mode!r}")
    unknown = sorted(set(cfg) - allowed[mode])
    if unknown:
        raise ValueError(f'test_cfg={dict(cfg)}: {unknown} mean nothing '
                         f'with mode={mode!r}')
    if mode == 'slide':
        for key in ('crop_size', 'stride'):
            v = cfg.get(key)
            if v is None or len(v) != 2 or min(v) < 1:
                raise ValueError(f"test_cfg mode='slide' needs {key}=(h, w) "
                                 f'of positive ints, not {v!r}')
        if any(int(c) % multiple for c in cfg.crop_size):
            raise ValueError(f'test_cfg.crop_size={tuple(cfg.crop_size)}: '
                             f'each side must be a multiple of {multiple} '
                             'for this network')
        cfg.crop_size = tuple(int(c) for c in cfg.crop_size)
        cfg.stride = tuple(int(c) for c in cfg.stride)
    return cfg


@MODELS.register_module()
class PyramidSegmentor(EncoderDecoder):
    """Args:
        num_classes: including background (``2`` is the binary mode).
        in_channels: image channels (1 for a grey slice; 3 for 2.5D).
        channels / dropout / kernel_size: of each V-Net.
        loss: the loss of each stage (``spinemm.DourtheDiceLoss`` or, e.g.,
            mmseg's CrossEntropyLoss, or a list of both).
        test_cfg: mmseg's: ``dict(mode='whole')`` or ``dict(mode='slide',
            crop_size=(h, w), stride=(h, w))``; a window side must be a
            multiple of ``2 ** len(channels)`` (stage 1 halves the input).
    """

    def __init__(self, num_classes=3, in_channels=1,
                 channels=(16, 32, 64, 128), dropout=0.3, kernel_size=5,
                 loss=dict(type='spinemm.DourtheDiceLoss'),
                 data_preprocessor=None, init_cfg=None, train_cfg=None,
                 test_cfg=None, pretrained=None):
        # ``pretrained`` is set to None by mmseg.apis.init_model; both stages
        # always start from scratch
        # EncoderDecoder.__init__ builds a backbone and decode head from
        # configs; this network is its own, so only the base is initialised
        BaseSegmentor.__init__(self, data_preprocessor=data_preprocessor,
                               init_cfg=init_cfg)
        if train_cfg:  # nothing would read it
            raise ValueError(f'PyramidSegmentor has no train_cfg options: '
                             f'cannot honour train_cfg={train_cfg}')
        self.train_cfg = None
        self.size_multiple = 2 ** len(channels)
        self.test_cfg = self.check_test_cfg(test_cfg)
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.stage1 = VNet2d(in_channels, num_classes, channels, dropout,
                             kernel_size)
        self.stage2 = VNet2d(in_channels + num_classes, num_classes,
                             channels, dropout, kernel_size)
        losses = loss if isinstance(loss, (list, tuple)) else [loss]
        self.losses = torch.nn.ModuleList(MODELS.build(c) for c in losses)
        self.align_corners = False
        self.out_channels = num_classes
        self.decode_head = None
        self.auxiliary_head = None

    def check_test_cfg(self, test_cfg):
        """``test_cfg`` checked for this network (:func:`check_test_cfg`)."""
        return check_test_cfg(test_cfg, self.size_multiple)

    def _stages(self, inputs):
        if inputs.shape[1] != self.in_channels:
            # grey images arrive as 3 equal channels from mmseg's loader
            inputs = inputs[:, :self.in_channels]
        half = F.interpolate(inputs, scale_factor=0.5, mode='bilinear',
                             align_corners=False)
        logits1 = self.stage1(half)
        up = F.interpolate(logits1.softmax(1), size=inputs.shape[-2:],
                           mode='bilinear', align_corners=False)
        logits2 = self.stage2(torch.cat([inputs, up], 1))
        return logits1, logits2

    def extract_feat(self, inputs):
        return self._stages(inputs)

    def encode_decode(self, inputs, batch_img_metas):
        return self._stages(inputs)[1]

    def _forward(self, inputs, data_samples=None):
        return self._stages(inputs)[1]

    def loss(self, inputs, data_samples):
        target = torch.stack([s.gt_sem_seg.data[0] for s in data_samples])
        logits1, logits2 = self._stages(inputs)
        target1 = F.interpolate(target[:, None].float(),
                                size=logits1.shape[-2:],
                                mode='nearest')[:, 0].long()
        losses = {}
        total_dice_loss = 0.0
        for fn in self.losses:
            name = getattr(fn, 'loss_name', type(fn).__name__)
            for i, (lg, tg) in enumerate(((logits1, target1),
                                          (logits2, target)), 1):
                value = fn(lg, tg, ignore_index=255)  # padding
                losses[f's{i}.{name}'] = value
                if 'dice' in name:
                    total_dice_loss = total_dice_loss + value.detach()
        if torch.is_tensor(total_dice_loss):
            losses['mean_dice'] = (2 - total_dice_loss) / 2
        return losses

    # predict / inference / slide_inference / whole_inference are
    # EncoderDecoder's, around encode_decode (also the ONNX swap point)
