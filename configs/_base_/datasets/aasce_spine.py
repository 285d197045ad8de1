# AASCE 2019 / SpineWeb 16 AP films as whole-spine samples (68 corners) for
# mmpose top-down models. Films live in <data_root>images/; annotations are
# what tools/dataset_converters/aasce2coco.py writes to <ann_root>:
#   python tools/dataset_converters/aasce2coco.py data/aasce data/aasce_coco
# Elsewhere: --cfg-options data_root=/path/to/films/ ann_root=/path/to/coco/
# does not reach the dataloaders below, so override their fields, e.g.
#   --cfg-options train_dataloader.dataset.data_prefix.img=/films/images/ ...
dataset_type = 'spinemm.AasceSpineDataset'
data_root = 'data/aasce/'
ann_root = 'data/aasce_coco/annotations/'
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root='',
        data_mode='topdown',
        ann_file=ann_root + 'train_spine.json',
        data_prefix=dict(img=data_root + 'images/')))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root='',
        data_mode='topdown',
        ann_file=ann_root + 'val_spine.json',
        data_prefix=dict(img=data_root + 'images/'),
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='spinemm.AasceMetric', ann_file=ann_root + 'val_spine.json'),
    dict(type='EPE'),
]
test_evaluator = val_evaluator
