# Per-vertebra alternative on the real AASCE AP films: the CPU vertebra
# detector (Cascade Mask R-CNN R-18, from scratch) with the RoI keypoint head
# predicting the four corners of each vertebra (the AP scheme of
# spinemm.anatomy: a flip swaps the patient's right and left corners).
# Films are downscaled to a 512 px long side. Annotations:
#   python tools/dataset_converters/aasce2coco.py data/aasce data/aasce_coco
#   python tools/train.py configs/vertebra_ap/cascade-mask-rcnn-kpt_r18_fpn_8e_aasce-cpu.py
_base_ = '../vertebra_det/cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py'

data_root = 'data/aasce/'
ann_root = 'data/aasce_coco/annotations/'
image_scale = (512, 512)
flip_pairs = [(0, 1), (2, 3)]  # spinemm.anatomy.AP_FLIP_PAIRS
ap_meta = dict(classes=('vertebra', ), palette=[(220, 20, 60)],
               keypoint_names=('superior_right', 'superior_left',
                               'inferior_right', 'inferior_left'),
               flip_keeps_keypoint_names=False)
model = dict(roi_head=dict(keypoint_head=dict(num_keypoints=4)))


def _with_kpts(transform):
    return dict(type='spinemm.WithKeypoints', transform=transform,
                flip_pairs=flip_pairs)


_load = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='spinemm.LoadVertebraKeypoints', num_keypoints=4),
    _with_kpts(dict(type='Resize', scale=image_scale, keep_ratio=True)),
]
train_pipeline = _load + [
    _with_kpts(dict(type='RandomFlip', prob=0.5)),
    dict(type='spinemm.PackVertebraInputs'),
]
test_pipeline = _load + [
    dict(type='spinemm.PackVertebraInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]
_dataset = dict(data_root='', data_prefix=dict(img=data_root + 'images/'),
                metainfo=ap_meta)
train_dataloader = dict(dataset=dict(
    _dataset, ann_file=ann_root + 'train.json', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    _dataset, ann_file=ann_root + 'val.json', pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 8
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
