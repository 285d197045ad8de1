# A 3D UNet trained only on CTs synthesised from real label maps
# (spinemm.synthesis: deformed templates, their own CT repainted, or
# painted with CT-like or random HU; slice thickness and noise). Classes
# vertebra / sacrum / rib / vertebra-in-contact (what splits the column
# into vertebrae) at 2 mm; levels are counted from the ribs and the sacrum
# after segmentation (spinemm.morphometry.ct_levels). CPU budget: 1500
# iterations in about 26 min on 2 cores (configs/ct_synth/README.md).
#   python tools/dataset_converters/make_ct_templates.py data/ct_templates \
#       --case NAME CT SEG [--table NAME structures.csv] ...
#   python tools/train.py configs/ct_synth/unet3d_synth-anatomy-2mm-64_cpu.py
#   (the _wo-NAME configs leave the template NAME out: the real CT tested on)
#   python tools/verse_infer.py CONFIG CKPT VERSE_ROOT --out-dir OUT
_base_ = ['../_base_/default_runtime_spinemm.py']
templates_root = 'data/ct_templates/'
# templates not trained on: the real CT a model is tested on
leave_out = []
patch_size = (64, 64, 64)
spacing = 2.0
mode = 'anatomy'
hu_window = (-500.0, 1300.0)
num_classes = 5  # background, vertebra, sacrum, rib, vertebra_contact
network = dict(type='MonaiUNet', spatial_dims=3, in_channels=1,
               out_channels=num_classes, channels=(16, 32, 64, 128),
               strides=(2, 2, 2), num_res_units=1)
model = dict(type='VolumeSegmentor3D', network=network,
             test_cfg=dict(roi_size=patch_size, sw_batch_size=2,
                           overlap=0.25, mode='gaussian'))
train_pipeline = [
    dict(type='LoadSynthCTPatch', patch_size=patch_size, spacing=spacing,
         mode=mode, foreground_prob=0.8,
         paint_probs=[('real', 0.5), ('ct', 0.3), ('random', 0.2)]),
    dict(type='PackVolumeInputs', window=hu_window),
]
val_pipeline = [
    dict(type='LoadSynthCTPatch', patch_size=patch_size, spacing=spacing,
         mode=mode, foreground_prob=1.0, paint_probs=[('real', 1.0)],
         deterministic=True),
    dict(type='PackVolumeInputs', window=hu_window),
]
train_dataloader = dict(
    batch_size=2, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SynthCTDataset', data_root=templates_root,
                 leave_out=leave_out, samples_per_template=64,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SynthCTDataset', data_root=templates_root,
                 leave_out=leave_out, samples_per_template=4,
                 pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PatchDiceMetric')
test_evaluator = val_evaluator
max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=250)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(
    logger=dict(interval=20, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=250, max_keep_ckpts=1,
                    save_last=True, save_best='patch/dice', rule='greater'))
custom_hooks = [
    dict(type='LossHistoryHook', interval=10),
    dict(type='VolumeSnapshotHook', num_images=4),
]
log_processor = dict(by_epoch=False)
