# The body-centre slice model
# (fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu.py) trained on
# columns tilted up to 25 degrees in the sagittal plane (up to 15 about
# the other two axes, as before). On the real chest CT the upper thoracic
# column leans some 25-35 degrees from the scan's head-foot axis
# (kyphosis, a flexed neck); the model trained with 15 degrees marked
# 15-20 % of T1-T4 there, and 22-49 % once the CT itself was turned 20
# degrees upright (configs/ct_synth/README.md). Nothing else differs.
#   python tools/train.py \
#       configs/ct_synth/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25.py
_base_ = ['./fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu.py']
crop_size = (160, 160)
train_pipeline = [
    dict(type='spinemm.LoadSynthCTSlab', crop_size=crop_size,
         foreground_prob=0.85, lateral_mm=80.0, bone_texture_hu=(0.0, 150.0),
         deform=dict(max_rotate=(15.0, 15.0, 25.0)),
         paint_probs=[('real', 0.5), ('ct', 0.3), ('random', 0.2)]),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
