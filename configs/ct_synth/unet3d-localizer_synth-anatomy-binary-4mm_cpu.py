# Spine localisation for the synthetic-CT 3D models: the small binary UNet
# of configs/verse3d/unet3d-localizer_verse-phantom-binary-4mm_cpu.py
# (32^3 patches at 4 mm: 128 mm), trained here on CTs synthesised from the
# 16 sloped-rib anatomical phantoms (ribs, sacrum, pelvis, organs; no real
# label map, so every real CT is a fair test). Its vertebra probability
# gives the box the segmentation model then processes:
#   python tools/dataset_converters/make_ct_templates.py data/ct_phantoms_sloped --phantoms 16
#   python tools/train.py configs/ct_synth/unet3d-localizer_synth-anatomy-binary-4mm_cpu.py
#   python tools/analysis_tools/eval_localizer.py \
#       configs/ct_synth/unet3d-localizer_synth-anatomy-binary-4mm_cpu.py LOC_CKPT \
#       VERSE_ROOT --seg-config configs/ct_synth/unet3d_synth-anatomy-2mm-64_cpu_phantoms.py
#   python tools/verse_infer.py SEG_CONFIG SEG_CKPT CTS \
#       --localizer configs/ct_synth/unet3d-localizer_synth-anatomy-binary-4mm_cpu.py \
#       --localizer-checkpoint LOC_CKPT
# ruff: noqa: E501
_base_ = ['./unet3d_synth-anatomy-2mm-64_cpu.py']
templates_root = 'data/ct_phantoms_sloped/'
loc_patch = (32, 32, 32)
loc_spacing = 4.0
paint = [('real', 0.5), ('ct', 0.3), ('random', 0.2)]
train_pipeline = [
    dict(type='LoadSynthCTPatch', patch_size=loc_patch, spacing=loc_spacing,
         mode='binary', foreground_prob=0.7, paint_probs=paint),
    dict(type='PackVolumeInputs', window={{_base_.hu_window}}),
]
val_pipeline = [
    dict(type='LoadSynthCTPatch', patch_size=loc_patch, spacing=loc_spacing,
         mode='binary', foreground_prob=1.0, paint_probs=[('real', 1.0)],
         deterministic=True),
    dict(type='PackVolumeInputs', window={{_base_.hu_window}}),
]
train_dataloader = dict(batch_size=4, dataset=dict(
    data_root=templates_root, samples_per_template=32,
    pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=templates_root,
                                   samples_per_template=1,
                                   pipeline=val_pipeline))
test_dataloader = val_dataloader
model = dict(network=dict(out_channels=2, channels=(8, 16, 32),
                          strides=(2, 2)),
             test_cfg=dict(roi_size=loc_patch))
max_iters = 1500
train_cfg = dict(max_iters=max_iters, val_interval=500)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(checkpoint=dict(interval=500))
