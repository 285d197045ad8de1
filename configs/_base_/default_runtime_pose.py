# Runtime shared by spinemm's mmpose configs; see default_runtime_det.py for
# turning on the TensorBoard / Weights & Biases backends with one line.
_base_ = 'mmpose::_base_/default_runtime.py'

custom_imports = dict(imports=['spinemm'], allow_failed_imports=False)

local_backend = dict(type='LocalVisBackend')
tensorboard_backend = dict(type='TensorboardVisBackend')
wandb_backend = dict(type='WandbVisBackend', init_kwargs=dict(project='spinemm'))
visualizer = dict(
    type='PoseLocalVisualizer', vis_backends=[local_backend],
    name='visualizer')

# every run starts from the same seed (data order, augmentation, weights):
# a rerun with the same library builds repeats its figures; change it with
# --cfg-options randomness.seed=N to measure the spread across seeds
randomness = dict(seed=0)
