# The slice model of fpn-effl0-in1k_synth-anatomy-sagittal-2mm_cpu.py with
# a sixth class, the centre of each vertebral body
# (spinemm.synthesis.body_centres): whole-CT instances are then grown from
# one seed per body (spinemm.morphometry.ct_levels.centre_instances)
# instead of from what the contact band leaves apart, which on real CTs
# merged the lumbar column into one instance. Same data (16 anatomical
# phantoms, textured bone), network and schedule; only the classes differ.
#   python tools/dataset_converters/make_ct_templates.py data/ct_phantoms \
#       --phantoms 16
#   python tools/train.py configs/ct_synth/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu.py
#   python tools/verse_infer.py CONFIG CKPT CT_OR_VERSE_ROOT --out-dir OUT
_base_ = ['./fpn-effl0-in1k_synth-anatomy-sagittal-2mm_cpu.py']
num_classes = 6  # + body_centre

train_dataloader = dict(dataset=dict(mode='anatomy_centres'))
val_dataloader = dict(dataset=dict(mode='anatomy_centres'))
test_dataloader = val_dataloader
model = dict(decode_head=dict(num_classes=num_classes))
