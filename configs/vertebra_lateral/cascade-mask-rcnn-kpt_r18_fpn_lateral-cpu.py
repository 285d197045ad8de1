# The lateral detector of cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-cpu.py
# on a ResNet-18 trained from scratch (the quickstart's backbone) instead of
# the ImageNet EfficientNet-Lite0: same films, heads, schedule; the
# from-scratch half of the scratch-vs-ImageNet comparison.
#   python tools/train.py configs/vertebra_lateral/cascade-mask-rcnn-kpt_r18_fpn_lateral-cpu.py
_base_ = './cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-cpu.py'

model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,  # from scratch: BN statistics must learn
        style='pytorch',
        init_cfg=None),  # nothing downloaded
    neck=dict(in_channels=[64, 128, 256, 512]))
