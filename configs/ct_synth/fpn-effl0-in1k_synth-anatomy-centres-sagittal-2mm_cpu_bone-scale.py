# The body-centre slice model
# (fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu.py) trained on
# less dense bone: every training slab painted CT-like has its bone's HU
# times a factor drawn from 0.35-1.0 (spinemm.synthesis.synth_ct.
# scale_bone). The real CTs' vertebral bodies are 60-140 HU inside, the
# painted phantoms' 140-380; the model without it left the insides of
# real bodies out (recall 0.4-0.6). Nothing else differs.
#   python tools/train.py \
#       configs/ct_synth/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_bone-scale.py
_base_ = ['./fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu.py']
crop_size = (160, 160)
train_pipeline = [
    dict(type='spinemm.LoadSynthCTSlab', crop_size=crop_size,
         foreground_prob=0.85, lateral_mm=80.0, bone_texture_hu=(0.0, 150.0),
         bone_scale=(0.35, 1.0),
         paint_probs=[('real', 0.5), ('ct', 0.3), ('random', 0.2)]),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
