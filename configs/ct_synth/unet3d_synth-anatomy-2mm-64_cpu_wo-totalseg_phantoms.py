# The leave-one-out UNet of the chest template (tested on the real
# abdominal CT) with anatomical CT phantoms beside it: the phantoms bring
# the sacrum, pelvis and lower lumbar column the chest template lacks. A
# third of the training samples come from the real template, two thirds
# from 16 phantoms.
#   python tools/dataset_converters/make_ct_templates.py data/ct_phantoms \
#       --phantoms 16
_base_ = ['./unet3d_synth-anatomy-2mm-64_cpu_wo-totalseg.py']
phantoms = [dict(root='data/ct_phantoms/', samples_per_template=8)]
train_dataloader = dict(dataset=dict(extra_roots=phantoms))
