"""Training hooks the spine seeds had and mmengine lacks.

* ``spinemm.LossHistoryHook``: every logged loss and validation metric as a
  CSV (``<work_dir>/loss_history.csv``) and a plot (``loss_history.png``),
  rewritten after each validation and at the end. The history travels in
  the checkpoint, so ``--resume`` continues it.

Files are written by the main process only (rank 0 of a distributed run).
* ``spinemm.SegOverlayHook``: the first ``num_images`` validation slices with
  the ground truth (outline) and the prediction (filled) drawn on them, saved
  at every validation under ``<work_dir>/overlays/iter_<N>/``.
* ``spinemm.TestAfterTrainHook``: when training ends, loads the best
  checkpoint (``save_best`` of the CheckpointHook; the last weights when none)
  and runs the test loop; the metrics land in the log and in
  ``<work_dir>/test_metrics.json``.

Early stopping is mmengine's own ``EarlyStoppingHook`` (see the spine_seg
configs).
"""
import csv
import math
import os
import os.path as osp

import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from ..registry import HOOKS
from ..utils import atomic_file, atomic_write_json


@HOOKS.register_module()
class LossHistoryHook(Hook):
    """Args:
        interval: record the training losses every ``interval`` iterations.
    """

    priority = 'LOW'

    def __init__(self, interval=10, filename='loss_history'):
        self.interval = interval
        self.filename = filename
        self.rows = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if not outputs or (runner.iter + 1) % self.interval:
            return
        row = dict(iter=runner.iter + 1, epoch=runner.epoch)
        for k, v in outputs.items():
            row[k] = float(v.detach().mean()) if hasattr(v, 'detach') \
                else float(v)
        self.rows.append(row)

    def after_val_epoch(self, runner, metrics=None):
        if metrics:
            row = dict(iter=runner.iter, epoch=runner.epoch)
            row.update({f'val/{k}': float(v) for k, v in metrics.items()
                        if isinstance(v, (int, float, np.floating))})
            self.rows.append(row)
        self.write(runner.work_dir)

    def after_run(self, runner):
        self.write(runner.work_dir)

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint['loss_history'] = list(self.rows)

    def after_load_checkpoint(self, runner, checkpoint):
        # resuming continues the history; load_from (new training from
        # those weights) starts a new one
        if getattr(runner, '_resume', False):
            self.rows = list(checkpoint.get('loss_history', []))
            self.rows = merge_validation_rows(
                self.rows, osp.join(runner.work_dir, self.filename + '.csv'),
                (checkpoint.get('meta') or {}).get('iter'))

    def write(self, work_dir):
        if not self.rows or not is_main_process():
            return
        keys = ['iter', 'epoch'] + sorted(
            {k for r in self.rows for k in r} - {'iter', 'epoch'})
        path = osp.join(work_dir, self.filename)
        with atomic_file(path + '.csv', '.csv') as tmp:
            with open(tmp, 'w', newline='') as f:
                w = csv.DictWriter(f, keys)
                w.writeheader()
                w.writerows(self.rows)
        plot_history(self.rows, path + '.png')


def merge_validation_rows(rows, csv_path, upto):
    """``rows`` plus the validation rows of ``csv_path`` (the history
    written so far) up to iteration ``upto`` that ``rows`` lacks.

    An epoch's checkpoint is saved before that epoch's validation runs, so
    its history lacks that validation; a run killed after it and resumed
    from the checkpoint does not validate the epoch again, and the row was
    lost. The CSV written after the validation still has it.
    """
    if upto is None or not osp.isfile(csv_path):
        return rows
    have = {r['iter'] for r in rows if any(k.startswith('val/') for k in r)}
    try:
        with open(csv_path, newline='') as f:
            written = list(csv.DictReader(f))
    except (OSError, csv.Error):
        return rows
    extra = []
    for r in written:
        vals = {k: float(v) for k, v in r.items()
                if k and k.startswith('val/') and v not in ('', None)}
        try:
            it = int(float(r.get('iter', '')))
        except ValueError:
            continue
        if vals and it <= upto and it not in have:
            epoch = r.get('epoch') or 0
            extra.append(dict(iter=it, epoch=int(float(epoch)), **vals))
    if not extra:
        return rows
    return sorted(rows + extra, key=lambda r: (
        r['iter'], any(k.startswith('val/') for k in r)))


def plot_history(rows, path):
    """Training losses (left) and validation metrics (right) against the
    iteration."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    losses = sorted({k for r in rows for k in r
                     if 'loss' in k and not k.startswith('val/')})
    metrics = sorted({k for r in rows for k in r if k.startswith('val/')})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, keys, title in ((axes[0], losses, 'training losses'),
                            (axes[1], metrics, 'validation')):
        for k in keys:
            pts = [(r['iter'], r[k]) for r in rows
                   if k in r and math.isfinite(r[k])]
            if pts:
                ax.plot(*zip(*pts), marker='.' if k in metrics else None,
                        label=k)
        ax.set_title(title)
        ax.set_xlabel('iteration')
        if keys:
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_file(path, '.png') as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)


class ValPictureHook(Hook):
    """Base of the per-validation picture hooks: ``picture`` of each of the
    first ``num_images`` validation outputs, drawn by
    :func:`spinemm.visualization.seg_overlay` (prediction filled, truth
    outlined) to ``<work_dir>/<out_dir>/iter_<n>/<k>_<name>.png``, on the
    main rank only. Subclasses say what to draw."""

    priority = 'LOW'

    def __init__(self, num_images=4, alpha=0.45, out_dir='overlays'):
        self.num_images = num_images
        self.alpha = alpha
        self.out_dir = out_dir
        self._seen = 0

    def picture(self, runner, inputs, sample):
        """-> (uint8 grey image, predicted labels, true labels or None,
        (n, 3) uint8 palette, file name stem)."""
        raise NotImplementedError

    def before_val_epoch(self, runner):
        self._seen = 0

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None):
        from ..visualization import seg_overlay
        if self._seen >= self.num_images or not outputs or \
                not is_main_process():
            return
        folder = osp.join(runner.work_dir, self.out_dir,
                          f'iter_{runner.iter:06d}')
        os.makedirs(folder, exist_ok=True)
        for inputs, sample in zip(data_batch['inputs'], outputs):
            if self._seen >= self.num_images:
                break
            image, pred, gt, palette, name = self.picture(runner, inputs,
                                                          sample)
            seg_overlay(image, pred, palette, gt, self.alpha,
                        osp.join(folder, f'{self._seen:02d}_{name}.png'))
            self._seen += 1


@HOOKS.register_module()
class SegOverlayHook(ValPictureHook):
    """Prediction overlays of the first validation slices, per validation."""

    def picture(self, runner, inputs, sample):
        palette = np.array(runner.val_dataloader.dataset.metainfo['palette'],
                           np.uint8)
        pred = sample.pred_sem_seg.data[0].cpu().numpy()
        gt = sample.gt_sem_seg.data[0].cpu().numpy() \
            if 'gt_sem_seg' in sample else None
        image = inputs.cpu().numpy()
        image = image[image.shape[0] // 2]  # centre channel
        name = osp.splitext(osp.basename(
            sample.img_path.replace('#', '_')))[0]
        return _fit(image, pred.shape), pred, gt, palette, name


def _fit(image, shape):
    import cv2
    image = np.clip(image, 0, 255).astype(np.uint8)
    if image.shape != tuple(shape):
        image = cv2.resize(image, shape[::-1], interpolation=cv2.INTER_LINEAR)
    return image


@HOOKS.register_module()
class TestAfterTrainHook(Hook):
    """Run the test set once training ends, with the best checkpoint."""

    priority = 'LOWEST'

    def __init__(self, use_best=True):
        self.use_best = use_best

    def after_train(self, runner):
        best = runner.message_hub.get_info('best_ckpt') \
            if self.use_best else None
        if best and osp.isfile(best):
            runner.logger.info(f'testing the best checkpoint {best}')
            runner.load_checkpoint(best)
        else:
            runner.logger.info('testing the final weights')
        metrics = runner.test_loop.run()
        out = {k: float(v) if isinstance(v, (int, float, np.floating))
               else v for k, v in (metrics or {}).items()}
        if is_main_process():
            atomic_write_json(osp.join(runner.work_dir, 'test_metrics.json'),
                              dict(checkpoint=best, metrics=out), indent=1)
