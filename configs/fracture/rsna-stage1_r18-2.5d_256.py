# RSNA stage 1 for the real competition data (data/rsna: train_images/,
# segmentations/, train.csv, prepared by tools/dataset_converters/
# rsna_prepare.py): ResNet-18 on 256 px 2.5D slices (3 neighbouring slices as
# channels), ratios + C1-C7 box. Not trained here (the data cannot be
# downloaded on this machine); it is what benchmark_fracture.py times.
# ImageNet weights from a local file, if you have one:
#   model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='r18.pth')))
_base_ = [
    '../_base_/datasets/rsna_slice.py',
    '../_base_/default_runtime_fracture.py',
]
model = dict(
    type='RsnaSliceModel',
    backbone=dict(type='mmdet.ResNet', depth=18, in_channels=3,
                  out_indices=(3, ), norm_eval=False, init_cfg=None),
    feat_channels=512, box_weight=5.0, giou_weight=1.0, dropout=0.2)
max_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',  # --amp on a GPU
                     optimizer=dict(type='AdamW', lr=5e-4, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-6,
         by_epoch=True, begin=0, end=max_epochs)
]
default_hooks = dict(checkpoint=dict(save_best='rsna_slice/ratio_mae',
                                     rule='less'))
