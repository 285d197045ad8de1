# The synthetic-CT UNet trained without the template of the real CT it is
# tested on (leave one out): every template under templates_root but
# 'totalseg'.
_base_ = ['./unet3d_synth-anatomy-2mm-64_cpu.py']
leave_out = ['totalseg']
train_dataloader = dict(dataset=dict(leave_out=leave_out))
val_dataloader = dict(dataset=dict(leave_out=leave_out))
test_dataloader = val_dataloader
