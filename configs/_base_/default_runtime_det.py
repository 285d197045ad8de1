# Runtime shared by spinemm's mmdet configs: mmdet's defaults, spinemm imported
# (its compat fixes and registries), and visualiser backends one line away:
#   visualizer = dict(vis_backends=[_base_.local_backend, _base_.tensorboard_backend])
#   visualizer = dict(vis_backends=[_base_.local_backend, _base_.wandb_backend])
# (TensorBoard and Weights & Biases are installed; W&B offline: WANDB_MODE=offline)
_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(imports=['spinemm'], allow_failed_imports=False)

local_backend = dict(type='LocalVisBackend')
tensorboard_backend = dict(type='TensorboardVisBackend')
wandb_backend = dict(type='WandbVisBackend', init_kwargs=dict(project='spinemm'))
visualizer = dict(
    type='DetLocalVisualizer', vis_backends=[local_backend], name='visualizer')

# every run starts from the same seed (data order, augmentation, weights):
# a rerun with the same library builds repeats its figures; change it with
# --cfg-options randomness.seed=N to measure the spread across seeds
randomness = dict(seed=0)
