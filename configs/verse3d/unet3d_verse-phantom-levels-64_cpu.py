# The VerSe seed's 3D path on CT phantoms: MONAI's residual UNet on random
# 64^3 patches (1 mm) from the H5 cache, one class per vertebral level,
# Dice + cross-entropy; whole CTs by a Gaussian-weighted sliding window
# (tools/verse_infer.py picks it from this config). CPU budget.
#   python tools/misc/make_phantoms.py data/verse_phantom --kind verse2020 \
#       --num-images 8 --val-cases 2
#   python tools/train.py configs/verse3d/unet3d_verse-phantom-levels-64_cpu.py
#   python tools/verse_infer.py CONFIG CKPT \
#       data/verse_phantom/dataset-02validation --out-dir verse3d_out
_base_ = [
    '../_base_/datasets/verse_patches.py',
    '../_base_/default_runtime_spinemm.py',
]
num_classes = 28  # background + the 27 of spinemm.anatomy.LEVELS
network = dict(type='MonaiUNet', spatial_dims=3, in_channels=1,
               out_channels=num_classes, channels=(16, 32, 64, 128),
               strides=(2, 2, 2), num_res_units=1)
model = dict(type='VolumeSegmentor3D', network=network,
             test_cfg=dict(roi_size={{_base_.patch_size}}, sw_batch_size=2,
                           overlap=0.25, mode='gaussian'))
max_iters = 600
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-5))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
# best (by validation patch Dice) and last checkpoints; early stopping when
# the Dice has not improved for 3 validations; the loss history (CSV + plot),
# a mid-sagittal snapshot of 4 validation patches per validation, and the
# test metrics of the best checkpoint once training ends
default_hooks = dict(
    logger=dict(interval=20, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=200, max_keep_ckpts=1,
                    save_last=True, save_best='patch/dice', rule='greater'))
custom_hooks = [
    dict(type='EarlyStoppingHook', monitor='patch/dice', rule='greater',
         patience=3),
    dict(type='LossHistoryHook', interval=10),
    dict(type='VolumeSnapshotHook', num_images=4),
    dict(type='TestAfterTrainHook'),
]
log_processor = dict(by_epoch=False)
# Weights & Biases: one line (offline: WANDB_MODE=offline)
# visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
#                                 dict(type='WandbVisBackend')])
