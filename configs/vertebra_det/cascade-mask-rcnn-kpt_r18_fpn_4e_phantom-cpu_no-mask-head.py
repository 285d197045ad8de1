# Ablation: no mask head (boxes + keypoints only, as SpineTK's Keypoint R-CNN).
_base_ = './cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py'

model = dict(roi_head=dict(mask_roi_extractor=None, mask_head=None))
val_evaluator = [
    dict(type='CocoMetric', ann_file={{_base_.val_ann}}, metric=['bbox']),
    dict(type='spinemm.VertebraKeypointMetric', ann_file={{_base_.val_ann}}),
]
test_evaluator = val_evaluator
