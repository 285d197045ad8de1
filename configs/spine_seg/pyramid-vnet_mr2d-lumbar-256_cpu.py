# The pyramid segmentor on a CPU budget (<= 20 minutes on 2 cores): 3x3
# instead of V-Net's 5x5 convolutions, Adam lr 1e-3 with a cosine decay
# (Dourthe's constant lr 1e-4 needs far more steps), and cross-entropy added
# to Dourthe's Dice loss on both stages. Stops early when the validation
# mDice has not improved for 4 validations.
_base_ = './pyramid-vnet_mr2d-lumbar-256_dourthe.py'

model = dict(kernel_size=3,
             loss=[dict(type='spinemm.DourtheDiceLoss'),
                   dict(type='CrossEntropyLoss', loss_weight=0.5)])
max_iters = 1200
train_cfg = dict(max_iters=max_iters, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(checkpoint=dict(interval=100))
custom_hooks = [
    dict(type='spinemm.LossHistoryHook', interval=10),
    dict(type='spinemm.SegOverlayHook', num_images=4),
    dict(type='spinemm.TestAfterTrainHook'),
    dict(type='EarlyStoppingHook', monitor='mDice', rule='greater',
         patience=4, min_delta=0.1),
]
