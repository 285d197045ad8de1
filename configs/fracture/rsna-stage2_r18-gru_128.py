# RSNA stage 2 for the real competition data: ResNet-18 on 128 px crops, 24
# slices per vertebra, bidirectional GRU, learned patient_overall head,
# competition-weighted BCE; trained on stage 1's predicted ratios
# (tools/fracture_stage1_infer.py ... --out data/rsna/pred_ratios.csv).
# Not trained here; it is what benchmark_fracture.py times.
_base_ = [
    '../_base_/datasets/rsna_study.py',
    '../_base_/default_runtime_fracture.py',
]
ratio_file = 'data/rsna/pred_ratios.csv'
train_dataloader = dict(dataset=dict(ratio_file=ratio_file))
val_dataloader = dict(dataset=dict(ratio_file=ratio_file))
test_dataloader = val_dataloader
model = dict(
    type='RsnaFractureModel',
    encoder=dict(type='mmdet.ResNet', depth=18, in_channels=1,
                 out_indices=(3, ), norm_eval=False, init_cfg=None),
    feat_channels=512, temporal='gru', hidden=256, patient_head='learned')
max_epochs = 15
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',  # --amp on a GPU
                     optimizer=dict(type='AdamW', lr=3e-4, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-6,
         by_epoch=True, begin=0, end=max_epochs)
]
default_hooks = dict(checkpoint=dict(save_best='rsna/weighted_log_loss',
                                     rule='less'))
