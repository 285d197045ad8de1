# The lateral detector of cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-cpu.py
# near full resolution (films at a 2048 px long side: 0.74 of the films'
# ~2750 px) instead of 1024, batch 4, 60 epochs: a GPU config (one H200: see
# configs/vertebra_lateral/README.md).
#   python tools/train.py \
#       configs/vertebra_lateral/cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-gpu-2048.py
_base_ = './cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-cpu.py'

image_scale = (2048, 2048)


def _with_kpts(transform):
    return dict(type='spinemm.WithKeypoints', transform=transform)


_load = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='spinemm.LoadVertebraKeypoints', num_keypoints=4),
]
train_pipeline = _load + [
    _with_kpts(dict(type='RandomResize', scale=image_scale,
                    ratio_range=(0.8, 1.2), keep_ratio=True)),
    _with_kpts(dict(type='RandomFlip', prob=0.5)),
    dict(type='PhotoMetricDistortion', brightness_delta=24,
         contrast_range=(0.7, 1.3), saturation_range=(1.0, 1.0),
         hue_delta=0),
    dict(type='spinemm.PackVertebraInputs'),
]
test_pipeline = _load + [
    _with_kpts(dict(type='Resize', scale=image_scale, keep_ratio=True)),
    dict(type='spinemm.PackVertebraInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]
train_dataloader = dict(batch_size=4, num_workers=4,
                        persistent_workers=True,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=2, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# anchors: vertebrae are twice as large as at 1024 px
model = dict(rpn_head=dict(anchor_generator=dict(scales=[8])))
optim_wrapper = dict(optimizer=dict(lr=2e-3))

max_epochs = 60
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min_ratio=0.05,
         begin=0, end=max_epochs, by_epoch=True)
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1))
