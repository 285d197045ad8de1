# VerSe CT as sagittal image/label pairs for mmseg: binary vertebra masks
# (mode='levels' for one class per level), 2.5D with context=1 (3 channels).
dataset_type = 'spinemm.VerseSliceSegDataset'
data_root = 'data/verse/'
cache_dir = 'data/verse_cache/'
crop_size = (256, 256)
verse_common = dict(type=dataset_type, data_root=data_root,
                    cache_dir=cache_dir, mode='binary', context=1)

train_pipeline = [
    dict(type='spinemm.LoadVerseSlice'),
    dict(type='RandomResize', scale=(512, 512), ratio_range=(0.75, 1.25),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.9),
    dict(type='PackSegInputs'),
]
test_pipeline = [dict(type='spinemm.LoadVerseSlice'), dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**verse_common, splits=['dataset-01training',
                                         'dataset-verse19training'],
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**verse_common, splits=['dataset-02validation',
                                         'dataset-verse19validation'],
                 step=4, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice'])
test_evaluator = val_evaluator
