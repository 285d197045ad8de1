# The pyramid segmentor on a CPU budget: 3x3 instead of V-Net's 5x5
# convolutions and Adam lr 1e-3 for 500 iterations (Dourthe's lr 1e-4 needs
# far more steps than 20 CPU minutes allow).
_base_ = './pyramid-vnet_mr2d-lumbar-256_dourthe.py'

model = dict(kernel_size=3)
max_iters = 500
train_cfg = dict(max_iters=max_iters, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(checkpoint=dict(interval=100))
