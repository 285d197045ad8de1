# Stage 2 on the mask-based stage 1 (rsna-stage1-seg_pyramid-vnet_phantom-cpu.py):
# each slice is cropped to its vertebra's own predicted mask, and the mask
# is a second input channel; otherwise as rsna-stage2_r18-attn_phantom-cpu.py.
#   python tools/fracture_stage1_infer.py \
#       configs/fracture/rsna-stage1-seg_pyramid-vnet_phantom-cpu.py \
#       work_dirs/rsna_seg/best_mDice_iter_300.pth data/rsna_phantoms \
#       --out work_dirs/rsna_seg/pred_ratios.csv
#   python tools/train.py configs/fracture/rsna-stage2_r18-attn-mask_phantom-cpu.py
_base_ = './rsna-stage2_r18-attn_phantom-cpu.py'
ratio_file = 'work_dirs/rsna_seg/pred_ratios.csv'
mask_dir = 'work_dirs/rsna_seg/pred_ratios_masks'
crop_size = 32
train_pipeline = [
    dict(type='LoadRsnaSequences', crop_size=crop_size, mask_dir=mask_dir),
    dict(type='RsnaSequenceAugment'),
    dict(type='PackRsnaStudy'),
]
test_pipeline = [
    dict(type='LoadRsnaSequences', crop_size=crop_size, mask_dir=mask_dir),
    dict(type='PackRsnaStudy'),
]
train_dataloader = dict(dataset=dict(ratio_file=ratio_file,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(ratio_file=ratio_file,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(encoder=dict(in_channels=2))
