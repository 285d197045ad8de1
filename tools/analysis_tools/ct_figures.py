"""Pictures for the synthetic-CT models (configs/ct_synth/README.md).

    # synthetic patches (CT-like and random painting) over real CT slices
    python tools/analysis_tools/ct_figures.py gallery TEMPLATES OUT.png \
        --real CT.nii.gz [CT.nii.gz ...] [--num 6] [--phantom]
    # anatomical CT phantoms (one per column variant) over real CT slices
    python tools/analysis_tools/ct_figures.py phantom OUT.png \
        [--variants normal T13 L6 11ribs] [--real CT.nii.gz ...]
    # what a model labelled: sagittal slice, predicted levels, truth outlined
    python tools/analysis_tools/ct_figures.py predictions OUT.png \
        --case TITLE CT.nii.gz PRED_MASK.nii.gz [TRUTH_MASK.nii.gz] ...

Slices are drawn on the model grid (2 mm, head up, anterior left).
"""
import argparse

import numpy as np

from spinemm.apis.ct_figures import gallery, prediction_panel
from spinemm.io import read_nifti
from spinemm.seg.volume_labels import to_model_grid
from spinemm.utils import refusals_as_exit


def cmd_gallery(a, out):
    from spinemm.synthesis.synth_ct import synthesize_patch
    from spinemm.synthesis.templates import list_templates
    from spinemm.synthesis.transforms import load_template
    found = list_templates(a.templates)
    patches, titles = [], {}
    for k in range(a.num):
        name, codes, ct = found[k % len(found)]
        tpl = load_template(codes, ct, a.spacing)
        mode = ('real', 'ct', 'random')[k % 3] if ct else \
            ('ct', 'random')[k % 2]
        rng = np.random.RandomState(a.seed + k)
        hu, _ = synthesize_patch(tpl, (96, 96, 96), rng, ((mode, 1.0), ),
                                 foreground_prob=1.0, jitter=0.05,
                                 spacing=a.spacing)
        patches.append(hu)
        titles[('synthetic', k)] = f'synthetic ({name}, {mode})'
    if a.phantom:  # the block phantom the verse3d configs train on
        from spinemm.phantoms.ct import make_ct_phantom
        ph = make_ct_phantom(a.seed, spacing=a.spacing).ct
        hu = np.asarray(to_model_grid(ph, a.spacing).data, np.float32)
        patches.insert(0, hu)
        titles = {(kind, k + (kind == 'synthetic')): t
                  for (kind, k), t in titles.items()}
        titles[('synthetic', 0)] = 'CT phantom (configs/verse3d)'
    real = []
    for k, path in enumerate(a.real):
        ct = np.asarray(to_model_grid(read_nifti(path), a.spacing).data)
        real.append(ct[:, :, ct.shape[2] // 2])
        titles[('real', k)] = path.split('/')[-1]
    gallery(patches, real, out, titles=titles)


def cmd_phantom(a, out):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from spinemm.apis.ct_figures import phantom_panels
    from spinemm.phantoms.ct_anatomy import make_anatomy_phantom
    cols = max(len(a.variants), len(a.real))
    rows = 2 + bool(a.real)
    fig, axes = plt.subplots(rows, cols, figsize=(2.8 * cols, 4.2 * rows),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis('off')
    for k, variant in enumerate(a.variants):
        ph = make_anatomy_phantom(a.seed + k, variant=variant, fov='whole',
                                  spacing=a.spacing, thickness=2.0,
                                  noise=15.0)
        ct = np.asarray(to_model_grid(ph.ct, a.spacing).data)
        codes = np.asarray(to_model_grid(ph.codes, a.spacing, True).data)
        ribs = len(ph.rib_levels)
        phantom_panels(axes[:2, k], ct, codes,
                       f'phantom, {variant} column ({ribs} rib pairs)')
    for k, path in enumerate(a.real):
        ct = np.asarray(to_model_grid(read_nifti(path), a.spacing).data)
        axes[2, k].imshow(ct[:, :, ct.shape[2] // 2], cmap='gray',
                          vmin=-500, vmax=1300)
        axes[2, k].set_title('real: ' + path.split('/')[-1], fontsize=8)
    fig.suptitle('HU window -500..1300 (MIP: -500..1800); anatomical CT '
                 'phantoms (spinemm.phantoms.ct_anatomy), 2 mm', fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=80, format='png')
    plt.close(fig)


def cmd_predictions(a, out):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(a.case), figsize=(4 * len(a.case), 6))
    for ax, (title, ct_path, pred_path, *truth) in zip(
            np.atleast_1d(axes), a.case):
        ct = read_nifti(ct_path)
        grid = np.asarray(to_model_grid(ct, a.spacing).data)
        pred = np.asarray(to_model_grid(read_nifti(pred_path), a.spacing,
                                        True).data)
        gt = np.asarray(to_model_grid(read_nifti(truth[0]), a.spacing,
                                      True).data) if truth else None
        prediction_panel(ax, grid, pred, gt, title=title)
    fig.tight_layout()
    fig.savefig(out, dpi=90, format='png')
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    g = sub.add_parser('gallery')
    g.add_argument('templates')
    g.add_argument('out')
    g.add_argument('--real', nargs='+', default=[])
    g.add_argument('--num', type=int, default=6)
    g.add_argument('--phantom', action='store_true',
                   help='also a slice of the old CT phantom, first')
    g.add_argument('--seed', type=int, default=0)
    g.add_argument('--spacing', type=float, default=2.0)
    f = sub.add_parser('phantom')
    f.add_argument('out')
    f.add_argument('--variants', nargs='+',
                   default=['normal', 'T13', 'L6', '11ribs'])
    f.add_argument('--real', nargs='+', default=[])
    f.add_argument('--seed', type=int, default=0)
    f.add_argument('--spacing', type=float, default=2.0)
    q = sub.add_parser('predictions')
    q.add_argument('out')
    q.add_argument('--case', nargs='+', action='append', required=True,
                   metavar='TITLE CT PRED [TRUTH]')
    q.add_argument('--spacing', type=float, default=2.0)
    for sp in (g, f, q):
        sp.add_argument('--overwrite', action='store_true',
                        help='replace a file spinemm did not write')
    a = p.parse_args()
    if a.cmd == 'predictions':
        bad = [c for c in a.case if len(c) not in (3, 4)]
        if bad:
            p.error(f'--case takes TITLE CT PRED [TRUTH], not {bad[0]}')
    if not a.out.endswith('.png'):
        p.error(f'{a.out}: the picture is written as PNG (end the name '
                'with .png)')
    from spinemm.utils.outputs import OutputPlan
    inputs = {'gallery': lambda: [a.templates] + a.real,
              'phantom': lambda: a.real,
              'predictions': lambda: [f for c in a.case for f in c[1:]]
              }[a.cmd]()
    with refusals_as_exit():
        plan = OutputPlan(a.overwrite, inputs, [a.out]).check()
        with plan.file(a.out, '.png') as tmp:
            dict(gallery=cmd_gallery, phantom=cmd_phantom,
                 predictions=cmd_predictions)[a.cmd](a, tmp)
    print(f'wrote {a.out}')


if __name__ == '__main__':
    main()
