# Stage two of the AP landmark model: an mmpose top-down heatmap model that
# places the 4 corners of one vertebra on a 160x96 crop cut from the film at
# its own resolution (an AP vertebra is ~170 x 110 px there, ~1.5:1, so the
# crop keeps nearly all its pixels; the detector sees the film at a 512 px
# long side, where it is ~25 px tall), on the ImageNet EfficientNet-Lite0.
# A horizontal flip swaps right and left (spinemm/pose/ap4_meta.py). At
# inference the boxes come from the AP detector
# (cascade-mask-rcnn-kpt_effl0-in1k_fpn_8e_aasce-cpu.py) and its corners are
# replaced by these (SpineLandmarker(pose_config=...), eval_aasce.py
# --pose-config). Trained on every vertebra box of the 382 training films.
#   python tools/train.py configs/vertebra_ap/td-hm_effl0-in1k_aasce-cpu-160x96.py
_base_ = ['../vertebra_pose/td-hm_res18_8e_phantom-cpu-96x96.py']

data_root = 'data/aasce/'
ann_root = 'data/aasce_coco/annotations/'

max_epochs = 8
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min_ratio=0.02,
         begin=0, end=max_epochs, by_epoch=True),
]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
randomness = dict(seed=0)

codec = dict(type='MSRAHeatmap', input_size=(160, 96), heatmap_size=(40, 24),
             sigma=1.5, unbiased=True)
model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    backbone=dict(
        _delete_=True,
        type='spinemm.EfficientNetLite0',
        out_indices=(4, ),  # stride 32, 320 channels
        pretrained=True,
        frozen_stages=-1,
        norm_eval=False),
    head=dict(in_channels=320, out_channels=4, decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.1,
         scale_factor=(0.8, 1.2), rotate_factor=15),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
_dataset = dict(type='spinemm.APVertebraPoseDataset', data_root='',
                data_prefix=dict(img=data_root + 'images/'))
train_dataloader = dict(batch_size=32, num_workers=2, dataset=dict(
    _dataset, ann_file=ann_root + 'train.json', pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, num_workers=2, dataset=dict(
    _dataset, ann_file=ann_root + 'val.json', pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='PCKAccuracy', thr=0.05, norm_item='bbox', prefix='pck0.05'),
    dict(type='EPE'),
]
test_evaluator = val_evaluator
