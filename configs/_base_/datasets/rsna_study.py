# RSNA 2022 stage 2: one item per study; for each of C1..C7, 24 evenly
# spaced slices over the run where it is visible (ratio > 0.5), each cropped
# to its C1-C7 box, and the 8 labels [patient_overall, C1..C7]. The ratios
# come from ratio_file: the ground truth (slice_ratios.csv) or stage 1's
# predictions (tools/fracture_stage1_infer.py), as the RSNA seed trains.
data_root = 'data/rsna/'
ratio_file = None  # None: <data_root>/slice_ratios.csv
val_fold = 0
folds = [0, 1, 2, 3, 4]
num_slices = 24
crop_size = 128
train_pipeline = [
    dict(type='LoadRsnaSequences', crop_size=crop_size),
    dict(type='RsnaSequenceAugment'),
    dict(type='PackRsnaStudy'),
]
test_pipeline = [
    dict(type='LoadRsnaSequences', crop_size=crop_size),
    dict(type='PackRsnaStudy'),
]
study_common = dict(type='RsnaStudyDataset', data_root=data_root,
                    ratio_file=ratio_file, num_slices=num_slices,
                    min_ratio=0.5)
train_dataloader = dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**study_common, pipeline=train_pipeline,
                 folds=[f for f in folds if f != val_fold]))
val_dataloader = dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**study_common, pipeline=test_pipeline, folds=[val_fold]))
test_dataloader = val_dataloader
val_evaluator = dict(type='RsnaFractureMetric')
test_evaluator = val_evaluator
