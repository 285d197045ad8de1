"""Score a spine localizer (a binary verse3d model on a coarse grid).

    python tools/analysis_tools/eval_localizer.py LOC_CONFIG LOC_CKPT \
        VERSE_ROOT --seg-config SEG_CONFIG [--margin-mm 20]

For every labelled case: the centreline error (mm; per 4 mm axial slab, the
centre of the predicted spine vs the centre of the true vertebrae), the
fraction of true vertebra voxels inside the crop the localizer gives (it
must be 1.0, or the segmentation loses vertebrae), the fraction of the CT
that crop is, and the localizer's time. Prints a line per case and the means.
"""
import argparse
import time

import numpy as np

from spinemm.formats.verse import index_verse
from spinemm.io import Volume, label_volume, read_nifti


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('verse_root')
    p.add_argument('--seg-config', required=True,
                   help='the segmentation config whose grid the crop is cut '
                   'on (its weights are not needed)')
    p.add_argument('--margin-mm', type=float, default=20.0)
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    from spinemm.apis.volume_segment import to_model_grid
    from spinemm.volume3d.inference import VolumeSegmenter3D
    from spinemm.volume3d.localization import centreline_error, crop_coverage
    seg = VolumeSegmenter3D(a.seg_config, None, a.device,
                            a.config, a.checkpoint, a.margin_mm)
    cases = [c for c in index_verse(a.verse_root) if c['mask']]
    if not cases:
        raise SystemExit(f'error: no labelled case under {a.verse_root}')
    rows = []
    for case in cases:
        ct = read_nifti(case['ct'])
        truth = label_volume(read_nifti(case['mask']), what='VerSe mask')
        t0 = time.perf_counter()
        heat, coarse, box = seg.localize(ct)
        seconds = time.perf_counter() - t0
        pred = Volume((heat >= 0.5).astype(np.uint8), coarse.affine)
        err = centreline_error(pred, truth)
        grid = to_model_grid(ct, seg.seg.spacing)
        crop = seg.crop_of(grid, coarse, box)
        cov = crop_coverage(truth, grid, crop)
        rows.append(dict(err, **cov, seconds=seconds))
        print(f'{case["stem"]}: centreline {err["mean_mm"]:.1f} mm (max '
              f'{err["max_mm"]:.1f}, {err["missed"]} of '
              f'{err["planes"] + err["missed"]} slabs missed) | vertebrae '
              f'in crop {cov["inside"]:.3f} | crop {cov["volume_fraction"]:.2f}'
              f' of the CT | {seconds:.1f} s')
    print(f'{len(rows)} case(s): centreline '
          f'{np.nanmean([r["mean_mm"] for r in rows]):.1f} mm, vertebrae in '
          f'crop {np.nanmin([r["inside"] for r in rows]):.3f} (worst), crop '
          f'{np.nanmean([r["volume_fraction"] for r in rows]):.2f} of the CT')


if __name__ == '__main__':
    main()
