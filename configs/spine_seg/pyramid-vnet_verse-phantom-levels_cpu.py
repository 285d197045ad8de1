# The VerSe path on CT phantoms: Dourthe's pyramid segmentor on 2.5D
# sagittal slabs (3 slices as channels) of 1 mm CT, one class per vertebral
# level, validated slice-wise (IoU/Dice) and as whole volumes (per-vertebra
# Dice, HD95 and VerSe id.rate via spinemm.VerseVolumeMetric). CPU budget.
#   python tools/misc/make_phantoms.py data/verse_phantom --kind verse2020 \
#       --num-images 8 --val-cases 2
#   python tools/train.py configs/spine_seg/pyramid-vnet_verse-phantom-levels_cpu.py
#   python tools/verse_infer.py CONFIG CKPT \
#       data/verse_phantom/dataset-02validation --out-dir verse_out
_base_ = [
    '../_base_/datasets/verse_sagittal_seg.py',
    '../_base_/default_runtime_seg.py',
]
data_root = 'data/verse_phantom/'
cache_dir = 'data/verse_phantom_cache/'
crop_size = (128, 128)  # also the sliding window of tools/verse_infer.py
verse_common = dict(data_root=data_root, cache_dir=cache_dir, mode='levels',
                    context=1)
train_pipeline = [
    dict(type='spinemm.LoadVerseSlice'),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=1,
    dataset=dict(**verse_common, splits=['dataset-01training'],
                 min_pixels=50, pipeline=train_pipeline))
# every slice of the validation CTs, so the volume metric sees whole volumes
val_dataloader = dict(
    num_workers=1,
    dataset=dict(**verse_common, splits=['dataset-02validation'],
                 min_pixels=0, step=1))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mDice']),
    dict(type='spinemm.VerseVolumeMetric', data_root=data_root,
         cache_dir=cache_dir),
]
test_evaluator = val_evaluator

model = dict(
    type='spinemm.PyramidSegmentor',
    num_classes=28,  # background + the 27 of spinemm.anatomy.LEVELS
    in_channels=3,
    channels=(16, 32, 64, 128),
    dropout=0.3,
    kernel_size=3,
    loss=[dict(type='spinemm.DourtheDiceLoss'),
          dict(type='CrossEntropyLoss', loss_weight=1.0)],
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.5] * 3,
                           std=[127.5] * 3, size=crop_size, pad_val=0,
                           seg_pad_val=255,
                           test_cfg=dict(size_divisor=16)))
max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(
    logger=dict(interval=50, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=500, max_keep_ckpts=1,
                    save_best='verse/vertebra_dice', rule='greater'))
log_processor = dict(by_epoch=False)
