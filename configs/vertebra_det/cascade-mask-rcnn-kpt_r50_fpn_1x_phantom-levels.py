# One class per level (C1..T13..L6, S1: spinemm.anatomy.LEVELS) instead of
# "vertebra": the phantom json with per-level categories.
_base_ = './cascade-mask-rcnn-kpt_r50_fpn_1x_phantom.py'

levels = ('C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'T1', 'T2', 'T3', 'T4',
          'T5', 'T6', 'T7', 'T8', 'T9', 'T10', 'T11', 'T12', 'T13', 'L1',
          'L2', 'L3', 'L4', 'L5', 'L6', 'S1')
model = dict(roi_head=dict(num_classes=len(levels)))
train_dataloader = dict(dataset=dict(ann_file='annotations/train_levels.json',
                                     metainfo=dict(classes=levels)))
val_dataloader = dict(dataset=dict(ann_file='annotations/val_levels.json',
                                   metainfo=dict(classes=levels)))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='CocoMetric',
         ann_file='data/phantom2d/annotations/val_levels.json',
         metric=['bbox', 'segm']),
    dict(type='spinemm.VertebraKeypointMetric',
         ann_file='data/phantom2d/annotations/val_levels.json'),
]
test_evaluator = val_evaluator
