"""Time RSNA fracture inference per study (tools/fracture_infer.py's path).

    python tools/analysis_tools/benchmark_fracture.py \
        [--stage1 CONFIG [CKPT]] [--stage2 CONFIG [CKPT]] \
        [--shape 512 512 300] [--spacing 0.5 0.5 0.6] [--device cuda]

A cervical CT phantom (C1-T1) is placed in an air-filled study of ``--shape``
voxels (512x512 slices, 300 of them, by default: the size of an RSNA study)
and written as one DICOM file per slice; then the study is read, stage 1 runs
on every slice and stage 2 on the seven vertebra sequences, as
tools/fracture_infer.py does. Prints the time of each part (the load
includes decoding 300 DICOM files). Without checkpoints the weights are
random: the time does not depend on them. Defaults: the real-data configs
(configs/fracture/rsna-stage1_r18-2.5d_256.py and rsna-stage2_r18-gru_128.py).
"""
import argparse
import os.path as osp
import tempfile
import time

import numpy as np

HERE = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE1 = osp.join(HERE, 'configs', 'fracture', 'rsna-stage1_r18-2.5d_256.py')
STAGE2 = osp.join(HERE, 'configs', 'fracture', 'rsna-stage2_r18-gru_128.py')


def synthetic_study(folder, shape, spacing, seed=0):
    """Write a phantom study of ``shape`` voxels into ``folder``."""
    from spinemm.formats.rsna import RSNA_VERTEBRAE
    from spinemm.io import Volume, reorient, resample_to
    from spinemm.phantoms.ct import make_ct_phantom
    from spinemm.phantoms.rsna_writer import write_rsna_series
    affine = np.diag(list(spacing) + [1.0])
    affine[:3, 3] = -np.asarray(shape) * np.asarray(spacing) / 2
    ph = make_ct_phantom(seed, levels=list(RSNA_VERTEBRAE) + ['T1'],
                         spacing=1.0, fracture_prob=0.3, fracture_lines=True)
    centre = ph.ct.voxel_to_world(np.array(ph.ct.data.shape) / 2)[0]
    moved = ph.ct.affine.copy()
    moved[:3, 3] -= centre
    empty = Volume(np.zeros(shape, np.int16), affine)
    ct = resample_to(Volume(ph.ct.data.astype(np.float32) + 1000, moved),
                     empty)  # outside the phantom: 0 -> -1000 HU (air)
    ct = Volume((ct.data - 1000).astype(np.int16), affine)
    uid = '1.2.826.0.1.3680043.8.498.1'
    write_rsna_series(folder, reorient(ct, ('L', 'P', 'S')), uid, uid + '.1')
    return uid


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--stage1', nargs='+', default=[STAGE1],
                   metavar=('CONFIG', 'CKPT'))
    p.add_argument('--stage2', nargs='+', default=[STAGE2],
                   metavar=('CONFIG', 'CKPT'))
    p.add_argument('--shape', type=int, nargs=3, default=[512, 512, 300])
    p.add_argument('--spacing', type=float, nargs=3,
                   default=[0.5, 0.5, 0.6])
    p.add_argument('--device', default='cpu')
    p.add_argument('--stage1-stride', type=int, default=1,
                   help='stage 1 on every N-th slice (fracture_infer.py '
                   '--stage1-stride)')
    p.add_argument('--repeats', type=int, default=2,
                   help='timed runs after one warm-up run')
    a = p.parse_args()
    import torch

    from spinemm.fracture.inference import FracturePredictor
    with tempfile.TemporaryDirectory() as tmp:
        folder = osp.join(tmp, 'study')
        t = time.perf_counter()
        synthetic_study(folder, tuple(a.shape), tuple(a.spacing))
        print(f'wrote a {a.shape[0]}x{a.shape[1]}x{a.shape[2]} phantom study '
              f'in {time.perf_counter() - t:.1f} s')
        s1, s2 = a.stage1 + [None], a.stage2 + [None]
        predictor = FracturePredictor(s1[0], s1[1], s2[0], s2[1], a.device,
                                      stage1_stride=a.stage1_stride)
        predictor(folder)  # warm-up
        runs = []
        for _ in range(a.repeats):
            if a.device.startswith('cuda'):
                torch.cuda.synchronize()
            runs.append(predictor(folder)['seconds'])
    mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
    total = sum(mean.values())
    print(f'device {a.device}, torch threads {torch.get_num_threads()}, '
          f'stage-1 stride {a.stage1_stride}, {a.repeats} runs')
    for k, v in mean.items():
        print(f'  {k:<7} {v:7.2f} s')
    print(f'seconds_per_study={total:.2f}')


if __name__ == '__main__':
    main()
