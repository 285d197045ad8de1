# The quickstart detector plus the 6-keypoint branch: a CPU config that
# trains in minutes on the 2D radiograph phantoms.
#   python tools/train.py configs/vertebra_det/cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py
_base_ = '../quickstart/cascade-mask-rcnn_r18_fpn_phantom.py'

channels = 128
image_scale = (256, 256)
model = dict(
    roi_head=dict(
        type='spinemm.VertebraCascadeRoIHead',
        keypoint_roi_scale=1.2,
        keypoint_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=2),
            out_channels=channels,
            featmap_strides=[4, 8, 16, 32]),
        keypoint_head=dict(
            type='spinemm.VertebraKeypointHead',
            in_channels=channels,
            num_convs=4,
            conv_out_channels=channels,
            num_keypoints=6,
            roi_feat_size=14,
            loss_weight=1.0)))


def _with_kpts(transform):
    return dict(type='spinemm.WithKeypoints', transform=transform)


_load = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='spinemm.LoadVertebraKeypoints'),
    _with_kpts(dict(type='Resize', scale=image_scale, keep_ratio=True)),
]
train_pipeline = _load + [
    _with_kpts(dict(type='RandomFlip', prob=0.5)),
    dict(type='spinemm.PackVertebraInputs'),
]
test_pipeline = _load + [
    dict(type='spinemm.PackVertebraInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor', 'pixel_spacing', 'facing')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

val_ann = 'data/phantom2d/annotations/val.json'
val_evaluator = [
    dict(type='CocoMetric', ann_file=val_ann, metric=['bbox', 'segm']),
    dict(type='spinemm.VertebraKeypointMetric', ann_file=val_ann),
]
test_evaluator = val_evaluator

# 4 epochs, validated at the end (the quickstart it inherits from runs 3,
# without validation)
max_epochs = 4
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min_ratio=0.05,
         begin=0, end=max_epochs, by_epoch=True)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
