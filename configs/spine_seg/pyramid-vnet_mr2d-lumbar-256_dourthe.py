# Dourthe et al.'s multi-scale pyramid segmentor on the 14 lumbar MR slices:
# 256 px input, batch 5, Adam lr 1e-4, dropout 0.3, Dice loss on both stages.
_base_ = [
    '../_base_/datasets/mr2d_lumbar.py',
    '../_base_/default_runtime_seg.py',
]

model = dict(
    type='spinemm.PyramidSegmentor',
    num_classes=3,
    in_channels=1,
    channels=(8, 16, 32, 64),
    dropout=0.3,
    loss=dict(type='spinemm.DourtheDiceLoss'),
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.5],
                           std=[127.5], size=(256, 256), pad_val=0,
                           seg_pad_val=255))
max_iters = 2000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = []
default_hooks = dict(
    logger=dict(interval=20, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=200, max_keep_ckpts=1,
                    save_best='mDice', rule='greater'))
log_processor = dict(by_epoch=False)
