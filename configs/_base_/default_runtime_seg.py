# Runtime shared by spinemm's mmseg configs; see default_runtime_det.py for
# turning on the TensorBoard / Weights & Biases backends with one line.
_base_ = 'mmseg::_base_/default_runtime.py'

custom_imports = dict(imports=['spinemm'], allow_failed_imports=False)

local_backend = dict(type='LocalVisBackend')
tensorboard_backend = dict(type='TensorboardVisBackend')
wandb_backend = dict(type='WandbVisBackend', init_kwargs=dict(project='spinemm'))
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=[local_backend], name='visualizer')

# mmseg keeps its hooks in the schedule files; spinemm's seg configs get
# iteration-based defaults here and override single fields
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))

# What the segmentation seeds did around training (spinemm.engine.hooks):
# the loss history as CSV + plot, prediction overlays of the first validation
# slices at every validation, and the test set scored with the best
# checkpoint once training ends. Early stopping (mmengine's
# EarlyStoppingHook) is added per config, as it names the monitored metric.
custom_hooks = [
    dict(type='spinemm.LossHistoryHook', interval=10),
    dict(type='spinemm.SegOverlayHook', num_images=4),
    dict(type='spinemm.TestAfterTrainHook'),
]

# every run starts from the same seed (data order, augmentation, weights):
# a rerun with the same library builds repeats its figures; change it with
# --cfg-options randomness.seed=N to measure the spread across seeds
randomness = dict(seed=0)
