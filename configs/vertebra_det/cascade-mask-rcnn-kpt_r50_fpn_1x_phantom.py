# Cascade Mask R-CNN R-50 FPN + 6-keypoint head, 12 epochs (mmdet's 1x: SGD
# lr 0.02 for 16 images per step) on the radiograph phantoms with SpineTK's
# augmentation recipe. Trained from scratch (phantoms need no ImageNet
# features and this keeps the config offline); for real radiographs restore
# `init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')`.
_base_ = [
    '../_base_/models/cascade-mask-rcnn-kpt_r50_fpn.py',
    '../_base_/datasets/phantom_vertebra_kpt.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime_det.py',
]

model = dict(
    backbone=dict(frozen_stages=-1, norm_eval=False, init_cfg=None),
    # vertebral bodies are 8-40 px at 256 px: anchors of 16 px at stride 4
    rpn_head=dict(anchor_generator=dict(scales=[4])),
    roi_head=dict(num_classes=1))
train_dataloader = dict(batch_size=8, num_workers=4)
auto_scale_lr = dict(enable=True, base_batch_size=16)
