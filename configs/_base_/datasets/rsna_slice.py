# RSNA 2022 stage 1: axial slices (2.5D: 1 neighbour each side as channels)
# with the visible ratio of C1..C7 and the C1-C7 box, from the studies that
# have a segmentation (slice_ratios.csv of tools/dataset_converters/
# rsna_prepare.py); fold 0 validates by default.
data_root = 'data/rsna/'
val_fold = 0
folds = [0, 1, 2, 3, 4]
image_size = 256
context = 1
train_pipeline = [
    dict(type='LoadRsnaSlice', image_size=image_size),
    dict(type='RsnaSliceFlip', prob=0.5),
    dict(type='PackRsnaSlice'),
]
test_pipeline = [
    dict(type='LoadRsnaSlice', image_size=image_size),
    dict(type='PackRsnaSlice'),
]
train_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='RsnaSliceDataset', data_root=data_root,
                 context=context, pipeline=train_pipeline,
                 folds=[f for f in folds if f != val_fold]))
val_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='RsnaSliceDataset', data_root=data_root,
                 context=context, pipeline=test_pipeline, folds=[val_fold]))
test_dataloader = val_dataloader
val_evaluator = dict(type='RsnaSliceMetric')
test_evaluator = val_evaluator
