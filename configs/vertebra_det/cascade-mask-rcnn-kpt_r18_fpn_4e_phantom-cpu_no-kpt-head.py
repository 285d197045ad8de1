# Ablation: no keypoint head. Keypoints come from each predicted mask as
# SpineKey derives them (minimum-area rectangle corners snapped to the
# outline, endplate mid-points between): the baseline for PCK.
_base_ = './cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py'

model = dict(roi_head=dict(keypoint_head=None))
val_evaluator = [
    dict(type='CocoMetric', ann_file={{_base_.val_ann}},
         metric=['bbox', 'segm']),
    dict(type='spinemm.VertebraKeypointMetric', ann_file={{_base_.val_ann}},
         keypoints_from='mask'),
]
test_evaluator = val_evaluator
