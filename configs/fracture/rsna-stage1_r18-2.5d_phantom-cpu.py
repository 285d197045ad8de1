# RSNA stage 1 on the RSNA phantoms, within 30 min on 2 CPU cores: a
# ResNet-18 at a quarter of the width (mmdet's, from scratch) on 64 px 2.5D
# slices, every 2nd slice of the 120 training studies.
#   python tools/misc/make_phantoms.py data/rsna_phantoms --kind rsna --num-images 150
#   python tools/dataset_converters/rsna_prepare.py data/rsna_phantoms
#   python tools/train.py configs/fracture/rsna-stage1_r18-2.5d_phantom-cpu.py
_base_ = [
    '../_base_/datasets/rsna_slice.py',
    '../_base_/default_runtime_fracture.py',
]
data_root = 'data/rsna_phantoms/'
image_size = 64
train_pipeline = [
    dict(type='LoadRsnaSlice', image_size=image_size),
    dict(type='RsnaSliceFlip', prob=0.5),
    dict(type='PackRsnaSlice'),
]
test_pipeline = [
    dict(type='LoadRsnaSlice', image_size=image_size),
    dict(type='PackRsnaSlice'),
]
train_dataloader = dict(dataset=dict(data_root=data_root, slice_stride=2,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, slice_stride=2,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    type='RsnaSliceModel',
    backbone=dict(type='mmdet.ResNet', depth=18, in_channels=3,
                  base_channels=16, out_indices=(3, ), norm_eval=False,
                  init_cfg=None),
    # the slice position in its study: phantom levels look alike slice by
    # slice (see RsnaSliceModel)
    feat_channels=128, box_weight=5.0, giou_weight=1.0, use_position=True)
max_epochs = 6
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, begin=0, end=max_epochs)
]
default_hooks = dict(checkpoint=dict(save_best='rsna_slice/ratio_mae',
                                     rule='less'))
