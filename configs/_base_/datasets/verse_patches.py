# VerSe cases as random 3D patches (the VerSe seed's training), read from the
# H5 cache; validation on fixed patches (the same every epoch). Point
# data_root at a VerSe 2019/2020 root (or --cfg-options data_root=...).
data_root = 'data/verse_phantom/'
cache_dir = 'data/verse_phantom_cache/'
patch_size = (64, 64, 64)
mode = 'levels'  # or 'binary'
hu_window = (-500.0, 1300.0)
train_pipeline = [
    dict(type='LoadVersePatch', patch_size=patch_size, foreground_prob=0.8,
         mode=mode, cache_dir=cache_dir),
    dict(type='RandomSpatial3D', prob=0.5, max_rotate=10.0,
         scale_range=(0.9, 1.1)),
    dict(type='RandomIntensity3D', prob=0.5),
    dict(type='PackVolumeInputs', window=hu_window),
]
val_pipeline = [
    dict(type='LoadVersePatch', patch_size=patch_size, foreground_prob=1.0,
         mode=mode, cache_dir=cache_dir, deterministic=True),
    dict(type='PackVolumeInputs', window=hu_window),
]
train_dataloader = dict(
    batch_size=2, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='VersePatchDataset', data_root=data_root,
                 splits=['dataset-01training'], samples_per_case=8,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VersePatchDataset', data_root=data_root,
                 splits=['dataset-02validation'], samples_per_case=4,
                 pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PatchDiceMetric')
test_evaluator = val_evaluator
