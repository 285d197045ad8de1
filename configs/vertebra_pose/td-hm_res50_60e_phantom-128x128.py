# ResNet-50 top-down model for the six vertebral keypoints, 128x128 crops
# (a vertebral body is near square), 32x32 heatmaps, 60 epochs; from scratch
# on phantoms (set backbone init_cfg to torchvision://resnet50 for real
# radiographs).
_base_ = './td-hm_res18_8e_phantom-cpu-96x96.py'

max_epochs = 60
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=max_epochs, milestones=[40, 55],
         gamma=0.1, by_epoch=True),
]
default_hooks = dict(checkpoint=dict(interval=10, save_best='pck0.05/PCK',
                                     rule='greater'))
codec = dict(type='MSRAHeatmap', input_size=(128, 128), heatmap_size=(32, 32),
             sigma=2, unbiased=True)
model = dict(
    backbone=dict(depth=50),
    head=dict(in_channels=2048, deconv_out_channels=(256, 256, 256),
              deconv_kernel_sizes=(4, 4, 4), decoder=codec))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.4),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.1,
         scale_factor=(0.8, 1.2), rotate_factor=10),
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
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
