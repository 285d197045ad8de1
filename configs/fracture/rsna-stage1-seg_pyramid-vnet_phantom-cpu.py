# The mask-based stage 1 (the 2022 winners' way, item 6 of the RSNA issue):
# spinemm's VerSe path, Dourthe's pyramid segmentor on 2.5D sagittal slabs
# with one class per level, trained on the segmented RSNA phantom studies
# written in the VerSe layout. Its masks replace stage 1's ratios and boxes,
# and stage 2 crops each vertebra by its own mask, the mask as a 2nd channel
# (rsna-stage2_r18-attn-mask_phantom-cpu.py).
#   python tools/dataset_converters/rsna2verse.py data/rsna_phantoms \
#       data/rsna_phantoms_verse --max-train 60
#   python tools/train.py configs/fracture/rsna-stage1-seg_pyramid-vnet_phantom-cpu.py
#   python tools/fracture_stage1_infer.py \
#       configs/fracture/rsna-stage1-seg_pyramid-vnet_phantom-cpu.py \
#       CKPT data/rsna_phantoms --out work_dirs/rsna_seg/pred_ratios.csv
_base_ = '../spine_seg/pyramid-vnet_verse-phantom-levels_cpu.py'
data_root = 'data/rsna_phantoms_verse/'
cache_dir = 'data/rsna_phantoms_verse_cache/'
verse_common = dict(data_root=data_root, cache_dir=cache_dir)
train_dataloader = dict(
    dataset=dict(**verse_common, splits=['dataset-verse19training']))
# every 4th sagittal slice of the 30 validation studies
val_dataloader = dict(
    dataset=dict(**verse_common, splits=['dataset-verse19validation'],
                 step=4))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='IoUMetric', iou_metrics=['mDice'])
test_evaluator = val_evaluator
max_iters = 600
train_cfg = dict(max_iters=max_iters, val_interval=300)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(checkpoint=dict(interval=300, save_best='mDice'))
