# Cascade Mask R-CNN (mmdet's R-50 FPN) whose last stage also predicts the
# six vertebral keypoints (spinemm.VertebraCascadeRoIHead).
_base_ = 'mmdet::_base_/models/cascade-mask-rcnn_r50_fpn.py'

keypoint_roi_extractor = dict(
    type='SingleRoIExtractor',
    roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
    out_channels=256,
    featmap_strides=[4, 8, 16, 32])
keypoint_head = dict(
    type='spinemm.VertebraKeypointHead',
    in_channels=256,
    num_convs=4,
    conv_out_channels=256,
    num_keypoints=6,
    roi_feat_size=14,
    loss_weight=1.0)
model = dict(
    roi_head=dict(
        type='spinemm.VertebraCascadeRoIHead',
        keypoint_roi_scale=1.2,
        keypoint_roi_extractor=keypoint_roi_extractor,
        keypoint_head=keypoint_head))
