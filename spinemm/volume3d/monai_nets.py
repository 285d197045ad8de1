"""MONAI's 3D segmentation networks in spinemm's model registry.

MONAI (Cardoso et al., 2022) is the maintained medical-imaging library that
implements these; spinemm does not re-implement them. Each is registered
under a ``Monai`` name with MONAI's own arguments, e.g.
``network=dict(type='MonaiUNet', spatial_dims=3, in_channels=1,
out_channels=29, channels=(16, 32, 64, 128), strides=(2, 2, 2))``.

MONAI is imported when one is built, not when spinemm registers its
modules: the 2D models run where MONAI is not installed (a GPU machine
with the OpenMMLab stack only).
"""
from ..registry import MODELS


def _monai_net(name):
    def build(*args, **kwargs):
        from monai.networks import nets
        return getattr(nets, name)(*args, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f'monai.networks.nets.{name}(*args, **kwargs)'
    return build


UNet = _monai_net('UNet')
AttentionUnet = _monai_net('AttentionUnet')
SwinUNETR = _monai_net('SwinUNETR')
MODELS.register_module('MonaiUNet', module=UNet)
MODELS.register_module('MonaiAttentionUnet', module=AttentionUnet)
MODELS.register_module('MonaiSwinUNETR', module=SwinUNETR)

__all__ = ['UNet', 'AttentionUnet', 'SwinUNETR']
