# RSNA 2022: per-vertebra sequences of 24 slices with fracture labels, folds
# from tools/dataset_converters/rsna_prepare.py; fold 0 validates by default.
data_root = 'data/rsna/'
val_fold = 0
folds = [0, 1, 2, 3, 4]
rsna_common = dict(type='spinemm.RsnaVertebraDataset', data_root=data_root,
                   num_slices=24, image_size=256)
train_dataloader = dict(
    batch_size=8, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**rsna_common, folds=[f for f in folds if f != val_fold]))
val_dataloader = dict(
    batch_size=8, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**rsna_common, folds=[val_fold]))
test_dataloader = val_dataloader
