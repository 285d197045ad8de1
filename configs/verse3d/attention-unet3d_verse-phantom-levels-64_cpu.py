# MONAI's AttentionUnet (Oktay et al. 2018) in place of the UNet: the same
# patches, loss, schedule and inference (see unet3d_..._cpu.py).
_base_ = ['./unet3d_verse-phantom-levels-64_cpu.py']
model = dict(network=dict(_delete_=True, type='MonaiAttentionUnet',
                          spatial_dims=3, in_channels=1,
                          out_channels={{_base_.num_classes}},
                          channels=(16, 32, 64, 128), strides=(2, 2, 2)))
