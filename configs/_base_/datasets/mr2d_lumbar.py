# 14 sagittal lumbar T2 MR slices with masks (0 background, 1 disc,
# 2 vertebra): the input/ folder of sulaimanvesal/vertebraeSegementation (MIT)
# placed at data/mr2d_lumbar (configs/spine_seg/README.md). Slices 3, 7,
# 9 and 11 are held back for validation: each labels both discs and
# vertebrae. Slices 1 and 13 label only the discs although vertebrae are
# visible, and 0, 5 and 10 are unlabelled; a slice without vertebra labels
# cannot score vertebra Dice, so those stay in training.
dataset_type = 'spinemm.ImageLabelPairDataset'
data_root = 'data/mr2d_lumbar/'
input_size = (256, 256)
val_stems = ['3', '7', '9', '11']
common = dict(type=dataset_type, data_root=data_root, img_dir='images',
              label_dir='masks', label_values=[0, 1, 2])
train_pipeline = [
    dict(type='spinemm.LoadImageLabelPair'),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='spinemm.DourtheAugment', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='spinemm.LoadImageLabelPair'),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=5, num_workers=1, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**common, exclude_stems=val_stems, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**common, stems=val_stems, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mDice', 'mIoU'])
test_evaluator = val_evaluator
