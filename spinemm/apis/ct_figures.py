"""Pictures of CTs: synthetic patches beside real slices (one window), and
the vertebrae a model labelled on a CT, with their levels.

Both draw a sagittal slice on the ('I', 'P', 'R') grid at ``spacing`` mm
(head up, anterior left), HU windowed to ``window``.
"""
import numpy as np

from ..anatomy import VERSE_LEVELS


def spine_column(labels):
    """Index along axis 2 (right-left) through the middle of the labelled
    vertebrae (the mid-sagittal plane of the spine)."""
    idx = np.nonzero(labels > 0)
    return int(np.median(idx[2])) if len(idx[2]) else labels.shape[2] // 2


def gallery(synthetic, real, path, window=(-500.0, 1300.0), titles=None):
    """One row of synthetic patches (HU, (D, H, W) arrays) over one row of
    real CT slices (2D HU arrays), all in one ``window``; saved to
    ``path``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    cols = max(len(synthetic), len(real))
    fig, axes = plt.subplots(2, cols, figsize=(2.6 * cols, 5.6))
    axes = np.atleast_2d(axes)
    for ax in axes.ravel():
        ax.axis('off')
    for k, patch in enumerate(synthetic):
        axes[0, k].imshow(patch[:, :, patch.shape[2] // 2], cmap='gray',
                          vmin=window[0], vmax=window[1])
        axes[0, k].set_title((titles or {}).get(('synthetic', k),
                                                'synthetic'), fontsize=8)
    for k, img in enumerate(real):
        axes[1, k].imshow(img, cmap='gray', vmin=window[0], vmax=window[1])
        axes[1, k].set_title((titles or {}).get(('real', k), 'real CT'),
                             fontsize=8)
    fig.suptitle(f'HU window {window[0]:.0f}..{window[1]:.0f}', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80, format='png')
    plt.close(fig)


def prediction_panel(ax, ct_grid, pred, truth=None, window=(-500.0, 1300.0),
                     title=''):
    """Draw one case: the sagittal slice through the spine, predicted
    vertebrae filled in colour with their level names, the truth
    outlined."""
    from scipy import ndimage
    x = spine_column(truth if truth is not None and truth.any() else pred)
    ax.imshow(ct_grid[:, :, x], cmap='gray', vmin=window[0],
              vmax=window[1])
    sl = pred[:, :, x]
    cmap = __import__('matplotlib').colormaps['tab20']
    rgba = np.zeros(sl.shape + (4, ))
    for v in np.unique(sl[sl > 0]):
        rgba[sl == v] = cmap(int(v) % 20)[:3] + (0.45, )
    ax.imshow(rgba)
    for v in np.unique(sl[sl > 0]):
        i, j = ndimage.center_of_mass(sl == v)
        ax.text(j, i, VERSE_LEVELS.get(int(v), str(v)), fontsize=6,
                color='yellow', ha='center', va='center')
    if truth is not None:
        edge = truth[:, :, x]
        edge = (ndimage.grey_dilation(edge, 3) != edge) & (edge > 0)
        ax.contour(edge, levels=[0.5], colors='white', linewidths=0.4)
    ax.set_title(title, fontsize=8)
    ax.axis('off')


def phantom_panels(axes, ct_grid, codes_grid, title='',
                   window=(-500.0, 1300.0)):
    """Two views of an anatomical CT phantom on the model grid: the
    mid-sagittal slice of the spine, and a coronal maximum-intensity
    projection of a slab round the column (every rib and vertebra at once)
    with each vertebra's level written on it."""
    from scipy import ndimage

    from ..synthesis.anatomy_codes import is_vertebra
    vert = is_vertebra(codes_grid)
    x = spine_column(np.where(vert, 1, 0))
    axes[0].imshow(ct_grid[:, :, x], cmap='gray', vmin=window[0],
                   vmax=window[1])
    axes[0].set_title(title, fontsize=8)
    p = np.nonzero(vert)[1]
    lo, hi = (int(np.percentile(p, 2)) - 25, int(np.percentile(p, 98)) + 5)
    slab = ct_grid[:, max(lo, 0):hi + 1]
    axes[1].imshow(slab.max(axis=1), cmap='gray', vmin=window[0],
                   vmax=window[1] + 500)
    for v in np.unique(codes_grid[vert]):
        i, _, j = ndimage.center_of_mass(codes_grid == v)
        axes[1].text(j, i, VERSE_LEVELS.get(int(v), str(v)), fontsize=5,
                     color='yellow', ha='center', va='center')
    axes[1].set_title('coronal MIP, levels (truth)', fontsize=7)
    for ax in axes:
        ax.axis('off')


__all__ = ['spine_column', 'gallery', 'prediction_panel', 'phantom_panels']
