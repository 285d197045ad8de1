# Dourthe et al.'s multi-scale pyramid segmentor (two V-Net stages, no
# pretrained weights) on the same synthetic sagittal slabs as the FPN
# slice model beside it: 16 anatomical CT phantoms, 3 slices at 2 mm as
# channels, classes vertebra / sacrum / rib / vertebra-in-contact, so the
# levels are counted from the ribs and the sacrum the same way. Only the
# model differs from fpn-effl0-in1k_synth-anatomy-sagittal-2mm_cpu.py, so
# the two compare an ImageNet encoder with Dourthe's network trained from
# scratch. Dice over the classes a batch holds (spinemm.PresentClassDiceLoss)
# instead of Dourthe's per-image Dice, which scores a class a slab lacks
# near 0 (configs/ct_synth/README.md).
#   python tools/dataset_converters/make_ct_templates.py data/ct_phantoms \
#       --phantoms 16
#   python tools/train.py configs/ct_synth/pyramid-vnet_synth-anatomy-sagittal-2mm_cpu.py
#   python tools/verse_infer.py CONFIG CKPT CT_OR_VERSE_ROOT --out-dir OUT
_base_ = ['./fpn-effl0-in1k_synth-anatomy-sagittal-2mm_cpu.py']

model = dict(
    _delete_=True,
    type='spinemm.PyramidSegmentor',
    num_classes={{_base_.num_classes}},
    in_channels=3,
    channels=(16, 32, 64, 128),
    dropout=0.3,
    kernel_size=3,
    loss=[dict(type='spinemm.PresentClassDiceLoss'),
          dict(type='CrossEntropyLoss', loss_weight=1.0)],
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.5] * 3,
                           std=[127.5] * 3, size={{_base_.crop_size}},
                           pad_val=0, seg_pad_val=255,
                           test_cfg=dict(size_divisor=16)))
