"""Time whole-CT inference of a spine_seg (2.5D) or verse3d (3D) model
(tools/verse_infer.py's path), and 3D patch loading from the H5 cache.

    python tools/analysis_tools/benchmark_volume.py CONFIG [--checkpoint CKPT]
        [--shape 512 512 300] [--spacing 0.8 0.8 1.0] [--device cuda]
        [--localizer LOC_CONFIG [--localizer-checkpoint LOC_CKPT]]
        [--patches 50 --patch-size 128]

A CT phantom is placed in an air-filled volume of ``--shape`` voxels at
``--spacing`` mm (the size of a clinical scan, 512x512x300 by default),
then segmented as tools/verse_infer.py does: resampling to the model's
1 mm grid, the network pass over every sagittal slab (the config's test_cfg,
or --window N: mmseg's sliding window of N px), instance
labelling and the way back to the CT's grid. Prints the time of each part and
the peak memory (process RSS; GPU when on CUDA). Without --checkpoint the
weights are random (the time does not depend on them; a random localizer
finds no spine, so give a trained one to time the crop). --patches N writes
the synthetic scan with its labels as a VerSe case, builds its H5 cache and
times N random --patch-size^3 patches through LoadVersePatch (patches/s).
"""
import argparse
import json

import numpy as np


def synthetic_case(shape, spacing, seed=0):
    """(CT, labels) Volumes: a 7-vertebra CT phantom at the centre of an
    air-filled scan of ``shape`` voxels at ``spacing`` mm."""
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
    labels = resample_to(Volume(ph.labels.data, moved), empty, is_label=True)
    return (Volume((ct.data - 1000).astype(np.int16), affine),
            Volume(labels.data.astype(np.uint8), affine))


def patch_rate(ct, labels, n, side, mode='levels'):
    """Patches/s of LoadVersePatch from the H5 cache (built first, not
    timed) of a VerSe case written from ``ct`` / ``labels``."""
    import os
    import tempfile
    import time

    from spinemm.formats.verse import index_verse
    from spinemm.io import write_nifti
    from spinemm.volume3d import LoadVersePatch
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, 'dataset-01training', 'rawdata', 'sub-bench')
        der = raw.replace('rawdata', 'derivatives')
        os.makedirs(raw)
        os.makedirs(der)
        write_nifti(ct, os.path.join(raw, 'sub-bench_ct.nii.gz'))
        write_nifti(labels, os.path.join(der,
                                         'sub-bench_seg-vert_msk.nii.gz'))
        case = index_verse(tmp)[0]
        load = LoadVersePatch((side, ) * 3, foreground_prob=0.8, mode=mode,
                              cache_dir=os.path.join(tmp, 'h5'))
        t0 = time.perf_counter()
        load(dict(case=case))  # builds the cache
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(n):
            load(dict(case=case))
        dt = time.perf_counter() - t0
    return dict(patches=n, patch_size=side, seconds=dt,
                patches_per_s=n / dt, cache_build_s=build)


def _jsonable(cfg):
    return None if cfg is None else json.loads(json.dumps(dict(cfg),
                                                          default=list))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('--checkpoint')
    p.add_argument('--shape', type=int, nargs=3, default=[512, 512, 300])
    p.add_argument('--spacing', type=float, nargs=3, default=[0.8, 0.8, 1.0])
    p.add_argument('--device', default='cpu')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--window', type=int,
                   help='2.5D: sliding-window side (px) instead of the '
                   "config's test_cfg")
    p.add_argument('--overlap', type=float)
    p.add_argument('--repeats', type=int, default=1)
    p.add_argument('--localizer', help='3D: spine localizer config')
    p.add_argument('--localizer-checkpoint')
    p.add_argument('--patches', type=int, default=0,
                   help='also time N patches from the H5 cache')
    p.add_argument('--patch-size', type=int, default=128)
    p.add_argument('--no-warmup', action='store_true',
                   help='skip the untimed first run (CPU: saves a run)')
    a = p.parse_args()
    import resource

    import torch

    from spinemm.apis.volume_segment import build_volume_segmenter
    ct, labels = synthetic_case(tuple(a.shape), tuple(a.spacing))
    seg = build_volume_segmenter(a.config, a.checkpoint, a.device,
                                 window=a.window, overlap=a.overlap,
                                 batch_size=a.batch_size,
                                 localizer=a.localizer,
                                 localizer_checkpoint=a.localizer_checkpoint)
    if not a.no_warmup:
        seg(ct)  # warm-up (cuDNN autotuning, allocator)
    if a.device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    runs = [seg(ct)['seconds'] for _ in range(a.repeats)]
    seconds = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    out = dict(config=a.config, device=a.device, shape=a.shape,
               spacing=a.spacing, localizer=a.localizer,
               test_cfg=_jsonable(getattr(getattr(seg, 'model', None),
                                          'test_cfg', None)),
               context=getattr(seg, 'context', None),
               batch_size=a.batch_size, seconds=seconds,
               peak_rss_mib=resource.getrusage(
                   resource.RUSAGE_SELF).ru_maxrss / 1024,
               torch_threads=torch.get_num_threads())
    if a.patches:
        out['patch_loading'] = patch_rate(ct, labels, a.patches,
                                          a.patch_size)
    if a.device.startswith('cuda'):
        out['peak_gpu_mib'] = torch.cuda.max_memory_allocated() / 2**20
        out['gpu'] = torch.cuda.get_device_name()
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
