# SpineKey's recipe: Cascade Mask R-CNN with a ResNeXt-101 64x4d FPN, 24
# epochs, 8 images per step, SGD lr 0.02, one class per level (C2..S1),
# plus spinemm's keypoint head. Data: SpineKey's det_train.json /
# det_test.json under data/spinekey/. SpineKey checkpoints (no keypoint
# head) load with `load_from=...`: the keypoint head starts from scratch.
_base_ = [
    '../_base_/models/cascade-mask-rcnn-kpt_r50_fpn.py',
    '../_base_/datasets/spinekey_coco.py',
    'mmdet::_base_/schedules/schedule_2x.py',
    '../_base_/default_runtime_det.py',
]

levels = ('C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'T1', 'T2', 'T3', 'T4',
          'T5', 'T6', 'T7', 'T8', 'T9', 'T10', 'T11', 'T12', 'T13', 'L1',
          'L2', 'L3', 'L4', 'L5', 'L6', 'S1')
model = dict(
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=64,
        base_width=4,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        style='pytorch',
        init_cfg=dict(type='Pretrained',
                      checkpoint='open-mmlab://resnext101_64x4d')),
    roi_head=dict(num_classes=len(levels)))
train_dataloader = dict(batch_size=2, dataset=dict(
    metainfo=dict(classes=levels)))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=levels)))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=True, base_batch_size=8)
