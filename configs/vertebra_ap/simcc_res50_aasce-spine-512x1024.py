# GPU variant of the whole-spine AP landmark model: full-resolution input
# (512x1024), ResNet-50 from torchvision's ImageNet weights (downloaded once
# into the torch hub cache and loaded through spinemm's checkpoint
# allow-list), 120 epochs. Not yet trained here (no GPU was lent).
#   bash tools/dist_train.sh configs/vertebra_ap/simcc_res50_aasce-spine-512x1024.py 8
_base_ = './simcc_res18_aasce-spine-cpu-256x512.py'

max_epochs = 120
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=200, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min_ratio=0.02,
         begin=0, end=max_epochs, by_epoch=True),
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(checkpoint=dict(interval=10))

codec = dict(type='SimCCLabel', input_size=(512, 1024), sigma=(6.0, 6.0),
             simcc_split_ratio=2.0, normalize=False)
model = dict(
    backbone=dict(depth=50, init_cfg=dict(
        type='Pretrained', checkpoint='torchvision://resnet50')),
    head=dict(in_channels=2048, input_size=codec['input_size'],
              in_featuremap_size=tuple(s // 32 for s in codec['input_size']),
              decoder=codec))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.05),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.05,
         scale_factor=(0.85, 1.15), rotate_factor=10),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PhotometricDistortion'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.05),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(batch_size=16, num_workers=8,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=8, dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
