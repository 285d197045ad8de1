"""Time whole-CT inference of a spine_seg model (tools/verse_infer.py's path).

    python tools/analysis_tools/benchmark_volume.py CONFIG [--checkpoint CKPT]
        [--shape 512 512 300] [--spacing 0.8 0.8 1.0] [--device cuda]

A CT phantom is placed in an air-filled volume of ``--shape`` voxels at
``--spacing`` mm (the size of a clinical scan, 512x512x300 by default),
then segmented as tools/verse_infer.py does: resampling to the model's
1 mm grid, the sliding-window network pass over every sagittal slab, instance
labelling and the way back to the CT's grid. Prints the time of each part and
the peak GPU memory. Without --checkpoint the weights are random (the time
does not depend on them).
"""
import argparse
import json

import numpy as np


def synthetic_ct(shape, spacing, seed=0):
    from spinemm.io import Volume, resample_to
    from spinemm.phantoms.ct import make_ct_phantom
    affine = np.diag(list(spacing) + [1.0])
    affine[:3, 3] = -np.asarray(shape) * np.asarray(spacing) / 2
    ph = make_ct_phantom(seed, num_vertebrae=(7, 7), spacing=1.0)
    centre = ph.ct.voxel_to_world(np.array(ph.ct.data.shape) / 2)[0]
    moved = ph.ct.affine.copy()
    moved[:3, 3] -= centre  # the phantom at the scan's centre
    empty = Volume(np.zeros(shape, np.int16), affine)
    ct = resample_to(Volume(ph.ct.data.astype(np.float32) + 1000, moved),
                     empty)  # outside the phantom: 0 -> -1000 HU (air)
    return Volume((ct.data - 1000).astype(np.int16), affine)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('--checkpoint')
    p.add_argument('--shape', type=int, nargs=3, default=[512, 512, 300])
    p.add_argument('--spacing', type=float, nargs=3, default=[0.8, 0.8, 1.0])
    p.add_argument('--device', default='cpu')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--repeats', type=int, default=1)
    a = p.parse_args()
    import torch

    from spinemm.apis.volume_segment import VolumeSegmenter
    ct = synthetic_ct(tuple(a.shape), tuple(a.spacing))
    seg = VolumeSegmenter(a.config, a.checkpoint, a.device,
                          batch_size=a.batch_size)
    seg(ct)  # warm-up (cuDNN autotuning, allocator)
    if a.device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    runs = [seg(ct)['seconds'] for _ in range(a.repeats)]
    seconds = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    out = dict(config=a.config, device=a.device, shape=a.shape,
               spacing=a.spacing, window=seg.window, context=seg.context,
               batch_size=a.batch_size, seconds=seconds)
    if a.device.startswith('cuda'):
        out['peak_gpu_mib'] = torch.cuda.max_memory_allocated() / 2**20
        out['gpu'] = torch.cuda.get_device_name()
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
