# The VerSe path where levels can be told apart: CT phantoms that all hold
# T12-L5 (a lumbar scan ending at the sacrum, as most lumbar CTs do), served at
# 2 mm so one 128 px window sees the whole column of a sagittal slab. The
# random-level phantoms of the parent config carry no anatomical anchor (no
# skull, ribs or sacrum), so their levels cannot be identified.
#   python tools/misc/make_phantoms.py data/verse_lumbar --kind verse2020 \
#       --num-images 8 --val-cases 2 --levels T12 L1 L2 L3 L4 L5
#   python tools/train.py configs/spine_seg/pyramid-vnet_verse-phantom-lumbar_cpu.py
_base_ = './pyramid-vnet_verse-phantom-levels_cpu.py'

data_root = 'data/verse_lumbar/'
cache_dir = 'data/verse_lumbar_cache/'
spacing = 2.0
train_dataloader = dict(dataset=dict(data_root=data_root,
                                     cache_dir=cache_dir, spacing=spacing))
val_dataloader = dict(dataset=dict(data_root=data_root, cache_dir=cache_dir,
                                   spacing=spacing))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mDice']),
    dict(type='spinemm.VerseVolumeMetric', data_root=data_root,
         cache_dir=cache_dir, spacing=spacing),
]
test_evaluator = val_evaluator
max_iters = 1000
train_cfg = dict(max_iters=max_iters, val_interval=500)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
