# 2D radiograph phantoms for the keypoint detector, with SpineTK's recipe:
# flip (names kept), crop 0-20% (half the time), rotation up to 5 degrees
# (half the time) and the photometric set. Keypoints follow every geometric
# step (spinemm.WithKeypoints). Images are resized to `image_scale`.
_base_ = './phantom_vertebra_det.py'

image_scale = (256, 256)


def _kp(transform):
    return dict(type='spinemm.WithKeypoints', transform=transform)


train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='spinemm.LoadVertebraKeypoints'),
    _kp(dict(type='Resize', scale=image_scale, keep_ratio=True)),
    _kp(dict(type='RandomFlip', prob=0.5)),
    _kp(dict(type='RandomApply', prob=0.5, transforms=[
        dict(type='RandomCrop', crop_type='relative_range',
             crop_size=(0.8, 0.8))])),
    _kp(dict(type='Rotate', prob=0.5, min_mag=0.0, max_mag=5.0,
             reversal_prob=0.5)),
    dict(type='spinemm.SpineTKPhotometric'),
    dict(type='spinemm.PackVertebraInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='spinemm.LoadVertebraKeypoints'),
    _kp(dict(type='Resize', scale=image_scale, keep_ratio=True)),
    dict(type='spinemm.PackVertebraInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor', 'pixel_spacing', 'facing')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='CocoMetric', ann_file='data/phantom2d/annotations/val.json',
         metric=['bbox', 'segm']),
    dict(type='spinemm.VertebraKeypointMetric',
         ann_file='data/phantom2d/annotations/val.json'),
]
test_evaluator = val_evaluator
