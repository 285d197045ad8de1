# The ImageNet EfficientNet-Lite0 AP detector of
# cascade-mask-rcnn-kpt_effl0-in1k_fpn_8e_aasce-cpu.py at twice the
# resolution (films at a 1024 px long side instead of 512), batch 8, 10
# epochs: a GPU config (one H200: see configs/vertebra_ap/README.md).
#   python tools/train.py \
#       configs/vertebra_ap/cascade-mask-rcnn-kpt_effl0-in1k_fpn_10e_aasce-gpu-1024.py
_base_ = './cascade-mask-rcnn-kpt_effl0-in1k_fpn_8e_aasce-cpu.py'

image_scale = (1024, 1024)
flip_pairs = [(0, 1), (2, 3)]  # spinemm.anatomy.AP_FLIP_PAIRS


def _with_kpts(transform):
    return dict(type='spinemm.WithKeypoints', transform=transform,
                flip_pairs=flip_pairs)


_load = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='spinemm.LoadVertebraKeypoints', num_keypoints=4),
    _with_kpts(dict(type='Resize', scale=image_scale, keep_ratio=True)),
]
train_pipeline = _load + [
    _with_kpts(dict(type='RandomFlip', prob=0.5)),
    dict(type='spinemm.PackVertebraInputs'),
]
test_pipeline = _load + [
    dict(type='spinemm.PackVertebraInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]
train_dataloader = dict(batch_size=8, num_workers=6,
                        persistent_workers=True,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=4, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# batch 8 (the CPU config: 4): the learning rate scaled linearly
optim_wrapper = dict(optimizer=dict(lr=2e-3))

max_epochs = 10
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min_ratio=0.05,
         begin=0, end=max_epochs, by_epoch=True)
]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=1))
