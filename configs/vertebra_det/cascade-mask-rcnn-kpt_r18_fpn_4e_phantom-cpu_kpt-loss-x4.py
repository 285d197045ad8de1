# Ablation: keypoint loss weight 4 instead of 1.
_base_ = './cascade-mask-rcnn-kpt_r18_fpn_4e_phantom-cpu.py'

model = dict(roi_head=dict(keypoint_head=dict(loss_weight=4.0)))
