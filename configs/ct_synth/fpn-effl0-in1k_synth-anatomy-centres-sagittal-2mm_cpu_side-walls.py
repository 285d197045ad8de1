# The body-centre slice model
# (fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu.py) trained on
# vertebrae whose walls are bright only at the endplates: in every
# training slab painted CT-like, each vertebra's outer layer of voxels,
# except where it faces head or foot, is pulled towards the median of its
# inside, to a fraction drawn from 0-0.5 of its contrast
# (spinemm.synthesis.synth_ct.soften_side_walls). Real bodies at 1-3 mm
# have bright endplates and faint front, back and side walls; the
# phantoms a bright wall all round. Nothing else differs.
#   python tools/train.py \
#       configs/ct_synth/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_side-walls.py
_base_ = ['./fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu.py']
crop_size = (160, 160)
train_pipeline = [
    dict(type='spinemm.LoadSynthCTSlab', crop_size=crop_size,
         foreground_prob=0.85, lateral_mm=80.0, bone_texture_hu=(0.0, 150.0),
         side_wall=(0.0, 0.5),
         paint_probs=[('real', 0.5), ('ct', 0.3), ('random', 0.2)]),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
