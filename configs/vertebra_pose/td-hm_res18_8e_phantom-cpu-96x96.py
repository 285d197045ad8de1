# A small top-down model (ResNet-18 from scratch, 96x96 crops, 24x24
# heatmaps) for the six vertebral keypoints, trained on the phantoms on a
# CPU. Flips keep keypoint names (the meta has no flip pairs).
#   python tools/train.py configs/vertebra_pose/td-hm_res18_8e_phantom-cpu-96x96.py
_base_ = [
    '../_base_/datasets/phantom_vertebra_pose.py',
    '../_base_/default_runtime_pose.py',
]

max_epochs = 8
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min_ratio=0.02,
         begin=0, end=max_epochs, by_epoch=True),
]
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))

codec = dict(type='MSRAHeatmap', input_size=(96, 96), heatmap_size=(24, 24),
             sigma=1.5, unbiased=True)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18, norm_eval=False),
    head=dict(
        type='spinemm.VertebraHeatmapHead',
        in_channels=512,
        out_channels=6,
        deconv_out_channels=(128, 128, 128),
        deconv_kernel_sizes=(4, 4, 4),
        geometric_weight=0.0,  # see the _endplate-term ablation
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.4),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.1, scale_factor=(0.8,
                                                                     1.2),
         rotate_factor=10),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.4),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
