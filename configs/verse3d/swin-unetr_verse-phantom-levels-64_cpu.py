# MONAI's SwinUNETR (Hatamizadeh et al. 2022), feature size 12 for the CPU
# budget (the paper's 48 on a GPU): patches must be multiples of 32.
_base_ = ['./unet3d_verse-phantom-levels-64_cpu.py']
model = dict(network=dict(_delete_=True, type='MonaiSwinUNETR',
                          spatial_dims=3, in_channels=1,
                          out_channels={{_base_.num_classes}},
                          feature_size=12))
