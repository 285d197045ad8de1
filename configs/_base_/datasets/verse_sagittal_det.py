# VerSe CT (2019 or 2020 layout) as sagittal slices with one instance per
# vertebra for mmdet, served on the fly from an H5 cache (no export needed;
# tools/dataset_converters/verse2coco.py writes the same slices as COCO).
dataset_type = 'spinemm.VerseSliceDetDataset'
data_root = 'data/verse/'
cache_dir = 'data/verse_cache/'
image_scale = (512, 512)
verse_common = dict(type=dataset_type, data_root=data_root,
                    cache_dir=cache_dir, plane='sagittal', spacing=1.0)

train_pipeline = [
    dict(type='spinemm.LoadVerseSliceInstances'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='spinemm.LoadVerseSliceInstances'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    # CocoMetric builds its ground truth from 'instances' (no ann_file)
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor', 'instances')),
]
train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**verse_common, splits=['dataset-01training',
                                         'dataset-verse19training'],
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**verse_common, splits=['dataset-02validation',
                                         'dataset-verse19validation'],
                 step=4, test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', metric=['bbox', 'segm'])
test_evaluator = val_evaluator
