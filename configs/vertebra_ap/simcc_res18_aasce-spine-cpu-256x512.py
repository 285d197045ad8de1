# Whole-spine AP landmark model for scoliosis on real films (AASCE 2019):
# the film is one top-down sample, a ResNet-18 (from scratch: no download)
# at 256x512 predicts the 68 vertebra corners by SimCC coordinate
# classification (1/2 px bins at the input), Cobb angles follow by the
# organisers' rule. A horizontal flip swaps right and left corners.
#   python tools/train.py configs/vertebra_ap/simcc_res18_aasce-spine-cpu-256x512.py
_base_ = [
    '../_base_/datasets/aasce_spine.py',
    '../_base_/default_runtime_pose.py',
]

max_epochs = 30
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
randomness = dict(seed=0)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3),
                     clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min_ratio=0.02,
         begin=0, end=max_epochs, by_epoch=True),
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=1, save_best='aasce/SMAPE',
                    rule='less'))

codec = dict(type='SimCCLabel', input_size=(256, 512), sigma=(4.0, 4.0),
             simcc_split_ratio=2.0, normalize=False)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18, norm_eval=False),
    head=dict(
        type='SimCCHead',
        in_channels=512,
        out_channels=68,
        input_size=codec['input_size'],
        in_featuremap_size=tuple(s // 32 for s in codec['input_size']),
        simcc_split_ratio=codec['simcc_split_ratio'],
        deconv_out_channels=None,
        loss=dict(type='KLDiscretLoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True))

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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
