# The synthetic-CT UNet trained on anatomical CT phantoms alone
# (spinemm.phantoms.ct_anatomy: ribs, sacrum, pelvis, organs, transitional
# columns, every field of view), no real label map: what the phantom's
# anatomy alone transfers to real CTs.
#   python tools/dataset_converters/make_ct_templates.py data/ct_phantoms \
#       --phantoms 16
#   python tools/train.py configs/ct_synth/unet3d_synth-anatomy-2mm-64_cpu_phantoms.py
_base_ = ['./unet3d_synth-anatomy-2mm-64_cpu.py']
templates_root = 'data/ct_phantoms/'
train_dataloader = dict(dataset=dict(data_root=templates_root,
                                     samples_per_template=8))
val_dataloader = dict(dataset=dict(data_root=templates_root,
                                   samples_per_template=1))
test_dataloader = val_dataloader
