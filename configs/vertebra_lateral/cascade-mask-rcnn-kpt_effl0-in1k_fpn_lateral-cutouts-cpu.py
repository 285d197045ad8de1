# The lateral detector of cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-cpu.py
# trained to expect partial films too: half of the training films are cut
# to a random window of 30-100 % of the film's height and 60-100 % of its
# width before they are scaled to the 1024 px long side, so that a
# lumbar-only or cervical-only film, whose vertebrae are 2-3x larger at that
# size, looks like something seen in training; 30 % of the films get fusion
# hardware painted on (spinemm.synthesis.implants). Same data, schedule and
# heads. Use it for lumbar and cervical films; for full-spine films the
# model without cut-outs counts levels better (README).
# Scored on full films and on the lumbar and cervical cut-outs of the
# validation films (tools/dataset_converters/crop_lateral_films.py).
#   python tools/train.py \
#       configs/vertebra_lateral/cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-cutouts-cpu.py
_base_ = './cascade-mask-rcnn-kpt_effl0-in1k_fpn_lateral-cpu.py'

image_scale = (1024, 1024)


def _with_kpts(transform):
    return dict(type='spinemm.WithKeypoints', transform=transform)


_load = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='spinemm.LoadVertebraKeypoints', num_keypoints=4),
]
train_pipeline = _load + [
    # pedicle screws, rods and cages painted over 2-6 vertebrae of 30 % of
    # the films (spinemm.synthesis.implants): users' lumbar films have them
    dict(type='spinemm.RandomImplants', prob=0.3),
    dict(type='RandomApply', prob=0.5, transforms=[
        # a window anywhere on the film; vertebrae cut by it keep their
        # clipped box, their corners outside become invisible; windows
        # without a vertebra are drawn again (allow_negative_crop=False).
        # spinemm.RandomEdgeCrop (windows at the film's top or bottom, so
        # C2 or the sacrum stays in) was measured worse: see the README
        _with_kpts(dict(type='RandomCrop', crop_type='relative_range',
                        crop_size=(0.3, 0.6), allow_negative_crop=False))]),
    _with_kpts(dict(type='RandomResize', scale=image_scale,
                    ratio_range=(0.8, 1.2), keep_ratio=True)),
    _with_kpts(dict(type='RandomFlip', prob=0.5)),
    dict(type='PhotoMetricDistortion', brightness_delta=24,
         contrast_range=(0.7, 1.3), saturation_range=(1.0, 1.0),
         hue_delta=0),
    dict(type='spinemm.PackVertebraInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
