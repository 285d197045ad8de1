"""How much of each labelled vertebra a CT model finds when the CT is
turned in the sagittal plane: does the model depend on the column's lean?

    python tools/analysis_tools/tilt_recall.py CONFIG CKPT VERSE_ROOT \
        --angles -20 0 20

For every labelled case under VERSE_ROOT (VerSe layout) and every angle,
the CT and its truth are turned together on the model's grid
(:func:`spinemm.evaluation.tilt_probe.tilt_sagittal`; a positive angle
moves the top forward), the model segments the turned CT, and the share
of each vertebra's voxels it marks as vertebra (any class but background,
sacrum and rib: body, contact band, body centre, or a level) is printed,
head to foot. Slice models and 3D patch models alike
(:func:`spinemm.apis.volume_segment.build_volume_segmenter`).
"""
import argparse

import numpy as np
from tqdm import tqdm

from spinemm.anatomy import VERSE_LEVELS
from spinemm.apis.volume_segment import build_volume_segmenter
from spinemm.evaluation.tilt_probe import recall_by_level, tilt_sagittal
from spinemm.formats.verse import index_verse
from spinemm.formats.verse_volumes import load_verse_case
from spinemm.io.volume import Volume
from spinemm.utils import refusals_as_exit

_NOT_VERTEBRA = ('background', 'sacrum', 'rib')


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('verse_root')
    p.add_argument('--angles', type=float, nargs='+', default=[-20, 0, 20],
                   help='degrees in the sagittal plane (default -20 0 20)')
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    seg = build_volume_segmenter(a.config, a.checkpoint, a.device)
    names = tuple(seg.classes)
    codes = [i for i, n in enumerate(names) if n not in _NOT_VERTEBRA]
    if not codes:
        raise SystemExit(f'error: {a.config} has no vertebra class '
                         f'(classes: {", ".join(names)})')
    cases = [c for c in index_verse(a.verse_root) if c['mask']]
    if not cases:
        raise SystemExit(f'error: no labelled case under {a.verse_root}')
    for case in cases:
        data = load_verse_case(dict(case, centroids=None), seg.spacing)
        ct, truth = data['ct'], data['mask']
        rows = {}
        for angle in tqdm(a.angles, desc=case['stem'], unit='angle'):
            hu = tilt_sagittal(ct.data, angle)
            t = tilt_sagittal(truth.data, angle, is_label=True)
            cls = seg(Volume(hu, ct.affine.copy(), dict(ct.meta)))['classes']
            rows[angle] = recall_by_level(np.isin(cls.data, codes), t)
        levels = sorted({v for r in rows.values() for v in r},
                        key=lambda v: np.nonzero(truth.data == v)[0].mean())
        print(f'{case["stem"]}: share of each vertebra marked, by angle')
        print('angle  ' + ' '.join(f'{VERSE_LEVELS.get(v, v):>5}'
                                   for v in levels) + '   mean')
        for angle, r in rows.items():
            vals = [r.get(v, float('nan')) for v in levels]
            print(f'{angle:5g}  ' + ' '.join(f'{x:5.2f}' for x in vals)
                  + f'  {np.nanmean(vals):5.2f}')


if __name__ == '__main__':
    with refusals_as_exit():
        main()
