# RSNA stage 2 on the RSNA phantoms, within 30 min on 2 CPU cores: a
# quarter-width ResNet-18 (mmdet's, from scratch) on 32 px crops, 24 slices
# per vertebra, a bidirectional GRU over each sequence, patient_overall from
# a learned head over the seven logits; the competition-weighted BCE.
# ratio_file: stage 1's predictions (tools/fracture_stage1_infer.py), as the
# RSNA seed trains; the ground truth slice_ratios.csv when it is None.
_base_ = [
    '../_base_/datasets/rsna_study.py',
    '../_base_/default_runtime_fracture.py',
]
data_root = 'data/rsna_phantoms/'
ratio_file = 'work_dirs/rsna_stage1/pred_ratios.csv'
crop_size = 32
train_pipeline = [
    dict(type='LoadRsnaSequences', crop_size=crop_size),
    dict(type='RsnaSequenceAugment'),
    dict(type='PackRsnaStudy'),
]
test_pipeline = [
    dict(type='LoadRsnaSequences', crop_size=crop_size),
    dict(type='PackRsnaStudy'),
]
train_dataloader = dict(dataset=dict(data_root=data_root,
                                     ratio_file=ratio_file,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, ratio_file=ratio_file,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    type='RsnaFractureModel',
    encoder=dict(type='mmdet.ResNet', depth=18, in_channels=1,
                 base_channels=16, out_indices=(3, ), norm_eval=False,
                 init_cfg=None),
    feat_channels=128, temporal='gru', hidden=64, patient_head='learned',
    # the phantoms' per-vertebra fracture rate (fracture_prob 0.1)
    unseen_prior=(0.1, ) * 7)
max_epochs = 20
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, begin=0, end=max_epochs)
]
default_hooks = dict(checkpoint=dict(save_best='rsna/weighted_log_loss',
                                     rule='less'))
