# 2D radiograph phantoms as vertebra crops for mmpose top-down models
# (ground-truth boxes; set val_dataloader.dataset.bbox_file to a detector's
# `tools/test.py --out` bbox file to test on detected boxes).
dataset_type = 'spinemm.VertebraPoseDataset'
data_root = 'data/phantom2d/'
val_ann = data_root + 'annotations/val.json'
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/')))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/val.json',
        data_prefix=dict(img='images/'),
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='PCKAccuracy', thr=0.05, norm_item='bbox', prefix='pck0.05'),
    dict(type='PCKAccuracy', thr=0.1, norm_item='bbox', prefix='pck0.1'),
    # AUC of PCK over thresholds up to `norm_factor` pixels (mmpose takes one
    # normaliser: 10 px is about a third of a phantom vertebra's width)
    dict(type='AUC', norm_factor=10, num_thrs=20),
    dict(type='EPE'),
    dict(type='CocoMetric', ann_file=val_ann),
    dict(type='spinemm.VertebraMorphometryMetric', ann_file=val_ann),
]
test_evaluator = val_evaluator
