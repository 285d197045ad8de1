# The R-50 keypoint detector for 36 epochs (mmdet's 3x: steps at 27, 33).
_base_ = './cascade-mask-rcnn-kpt_r50_fpn_1x_phantom.py'

max_epochs = 36
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[27, 33], gamma=0.1)
]
