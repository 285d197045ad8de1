# Baseline: mmseg's stock UNet (s5-d16, FCN head) on the same 14 lumbar MR
# slices, split, schedule and early stopping as the pyramid segmentor's _cpu
# config. Plain cross-entropy collapses to background everywhere (vertebrae
# are ~5 % of the pixels, discs ~2 %), and so does adding mmseg's DiceLoss,
# which pools all classes, background included, into one Dice; the stock
# remedy that works is class-weighted cross-entropy.
_base_ = [
    'mmseg::_base_/models/fcn_unet_s5-d16.py',
    '../_base_/datasets/mr2d_lumbar.py',
    '../_base_/default_runtime_seg.py',
]

class_weight = [0.1, 1.0, 1.0]  # background, disc, vertebra
model = dict(
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.5],
                           std=[127.5], size=(256, 256), pad_val=0,
                           seg_pad_val=255),
    backbone=dict(in_channels=1, base_channels=8),
    decode_head=dict(
        in_channels=8, channels=8, num_classes=3,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0,
                         class_weight=class_weight)),
    auxiliary_head=dict(
        in_channels=16, channels=8, num_classes=3,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4,
                         class_weight=class_weight)),
    test_cfg=dict(mode='whole'))
max_iters = 1200
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(
    logger=dict(interval=20, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=1,
                    save_best='mDice', rule='greater'))
log_processor = dict(by_epoch=False)
custom_hooks = [
    dict(type='spinemm.LossHistoryHook', interval=10),
    dict(type='spinemm.SegOverlayHook', num_images=4),
    dict(type='spinemm.TestAfterTrainHook'),
    dict(type='EarlyStoppingHook', monitor='mDice', rule='greater',
         patience=4, min_delta=0.1),
]
