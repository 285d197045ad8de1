# The level of a vertebra from its looks: a classifier (C3..L5) on a 128 px
# crop of the film around each vertebra, three vertebral heights wide (the
# neighbours, the sacrum under L5, the dens above C3, the ribs in view),
# turned so that the endplates are level and the anterior side is right,
# on the ImageNet EfficientNet-Lite0. The lateral landmarker
# (spinemm.apis.lateral, eval_lateral.py --level-config) uses it to count
# the levels of a column that shows neither C2 nor S1: the one offset of
# the whole column that the crops agree on best.
#   python tools/dataset_converters/lateral2coco.py data/lateral_fullspine data/lateral_coco
#   python tools/train.py configs/vertebra_lateral/level-cls_effl0-in1k_lateral-cpu-128.py
_base_ = ['../_base_/default_runtime_spinemm.py']

data_root = 'data/lateral_fullspine/'
ann_root = 'data/lateral_coco/annotations/'
size = 128

model = dict(
    type='VertebraLevelClassifier',
    backbone=dict(type='EfficientNetLite0', out_indices=(4, ),
                  pretrained=True, frozen_stages=-1, norm_eval=False),
    sigma=0.6, dropout=0.2)

_dataset = dict(type='LateralLevelCropDataset',
                data_prefix=dict(img=data_root + 'images/'), size=size, context=3.0)
train_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(_dataset, ann_file=ann_root + 'train.json', train=True))
val_dataloader = dict(
    batch_size=64, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(_dataset, ann_file=ann_root + 'val.json', train=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='LevelAccuracy')
test_evaluator = val_evaluator

max_epochs = 30
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0,
         end=30),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min_ratio=0.02,
         by_epoch=True, begin=0, end=max_epochs),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1),
                     logger=dict(interval=5))
