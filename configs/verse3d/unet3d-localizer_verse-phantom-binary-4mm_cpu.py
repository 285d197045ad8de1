# Spine localisation (the VerSe seed's first stage): a small binary UNet on
# the CT resampled to 4 mm, on 32^3 patches (128 mm); its vertebra
# probability is the spine heatmap whose box (+ margin) the segmentation
# model then processes:
#   python tools/verse_infer.py SEG_CONFIG SEG_CKPT CTS --localizer \
#       configs/verse3d/unet3d-localizer_verse-phantom-binary-4mm_cpu.py \
#       --localizer-checkpoint LOC_CKPT
_base_ = ['./unet3d_verse-phantom-levels-64_cpu.py']
loc_patch = (32, 32, 32)
loc_spacing = 4.0
train_pipeline = [
    dict(type='LoadVersePatch', patch_size=loc_patch, foreground_prob=0.7,
         mode='binary', spacing=loc_spacing,
         cache_dir={{_base_.cache_dir}}),
    dict(type='RandomSpatial3D', prob=0.5, max_rotate=10.0,
         scale_range=(0.9, 1.1)),
    dict(type='RandomIntensity3D', prob=0.5),
    dict(type='PackVolumeInputs'),
]
val_pipeline = [
    dict(type='LoadVersePatch', patch_size=loc_patch, foreground_prob=1.0,
         mode='binary', spacing=loc_spacing,
         cache_dir={{_base_.cache_dir}}, deterministic=True),
    dict(type='PackVolumeInputs'),
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
model = dict(network=dict(out_channels=2, channels=(8, 16, 32)),
             test_cfg=dict(roi_size=loc_patch))
max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=100)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(checkpoint=dict(interval=100))
