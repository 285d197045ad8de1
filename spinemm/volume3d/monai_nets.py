"""MONAI's 3D segmentation networks in spinemm's model registry.

MONAI (Cardoso et al., 2022) is the maintained medical-imaging library that
implements these; spinemm does not re-implement them. Each is registered
under a ``Monai`` name with MONAI's own arguments, e.g.
``network=dict(type='MonaiUNet', spatial_dims=3, in_channels=1,
out_channels=29, channels=(16, 32, 64, 128), strides=(2, 2, 2))``.
"""
from monai.networks.nets import AttentionUnet, SwinUNETR, UNet

from ..registry import MODELS

MODELS.register_module('MonaiUNet', module=UNet)
MODELS.register_module('MonaiAttentionUnet', module=AttentionUnet)
MODELS.register_module('MonaiSwinUNETR', module=SwinUNETR)

__all__ = ['UNet', 'AttentionUnet', 'SwinUNETR']
