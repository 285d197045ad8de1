# _tilt-25 trained twice as long: 1500 more iterations from its checkpoint
# (warm-up, then cosine from lr 5e-4), 3000 in all. Synthesis-trained
# segmenters learn on until the look of real scans is covered (SynthSeg
# trains for 300k iterations); 1500 iterations of 8 slabs is what two CPU
# cores give in 40 minutes. Train _tilt-25 first, then this from its
# last checkpoint:
#   python tools/train.py \
#       configs/ct_synth/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25.py
#   python tools/train.py \
#       configs/ct_synth/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25_x2.py \
#       --cfg-options load_from=work_dirs/fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25/iter_1500.pth  # noqa
_base_ = ['./fpn-effl0-in1k_synth-anatomy-centres-sagittal-2mm_cpu_tilt-25.py']
load_from = None  # the _tilt-25 checkpoint, on the command line
max_iters = 1500
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5,
         by_epoch=False, begin=0, end=max_iters)
]
