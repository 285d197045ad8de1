"""3D VerSe metrics through mmseg's test loop.

``spinemm.VerseVolumeMetric`` collects the slice predictions of a
:class:`~spinemm.seg.datasets.VerseSliceSegDataset` run, stacks them back into
one class volume per case on the served 1 mm grid, turns that into vertebra
instances and scores it against the case's mask with
:func:`spinemm.evaluation.verse_metrics.evaluate_labels`: per-vertebra Dice,
HD95 (mm), VerSe id.rate (body centroids against the case's published
``*_ctd.json``, or the truth mask's body centroids without one; pooled over
every vertebra as VerSe does, the per-scan mean beside it) and localisation
distance. Slices the dataset does
not serve count as background, so a test set for this metric lists every
slice (``min_pixels=0, step=1``); a warning says when it does not.
"""
import os.path as osp
from collections import defaultdict

import numpy as np
from mmengine.dist import get_world_size
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from ..evaluation.body_centroids import body_centroids
from ..evaluation.verse_metrics import evaluate_labels, summarize_cases
from ..io import Volume, axis_affine
from ..formats.verse import index_verse
from ..formats.verse_slices import num_slices, put_slice
from ..formats.verse_volumes import SLICE_ORIENTATION, VerseCaseReader
from ..registry import METRICS
from .volume_labels import (class_labels, instances_from_classes,
                            relabel_by_overlap)


def parse_slice_path(img_path):
    """``'<ct path>#sagittal12'`` (VerseSliceSegDataset's img_path) ->
    (ct path, plane, index)."""
    ct, sep, where = img_path.rpartition('#')
    plane = where.rstrip('0123456789')
    if not sep or plane not in ('sagittal', 'coronal') or plane == where:
        raise ValueError(f'{img_path!r} is not a VerSe slice path '
                         '(<ct>#<plane><index>)')
    return ct, plane, int(where[len(plane):])


@METRICS.register_module()
class VerseVolumeMetric(BaseMetric):
    """Args:
        data_root / cache_dir / spacing: as given to the dataset (the masks
            are read through the same cached reader).
        min_volume_mm3: smallest predicted instance kept.
        with_hd: compute HD95 (the slowest part).

    In one process, slices go straight into their case's volume and a case
    is scored as soon as its last slice arrives, so ``results`` holds one
    small summary per case and at most the cases in flight are in memory
    (one, in the dataset's order). In a distributed run each rank sees every
    n-th slice, so the slices travel to rank 0 and are stacked there.
    """

    default_prefix = 'verse'

    def __init__(self, data_root, cache_dir=None, spacing=1.0,
                 min_volume_mm3=200.0, with_hd=True, collect_device='cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.data_root = data_root
        self.reader = VerseCaseReader(spacing, cache_dir)
        self.spacing = (spacing, ) * 3
        self.min_voxels = max(1, round(min_volume_mm3 / spacing**3))
        self.with_hd = with_hd
        self._cases = None
        self._open = {}  # ct path -> dict(volume, plane, seen)

    def _case(self, ct):
        if self._cases is None:
            self._cases = {osp.abspath(c['ct']): c
                           for c in index_verse(self.data_root)}
        case = self._cases.get(osp.abspath(ct))
        if case is None:
            raise KeyError(f'{ct}: not a VerSe case under {self.data_root}')
        return case

    def _centroids(self, served, pred):
        """(true, predicted) body centroids in world mm of the served grid
        (('I', 'P', 'R'), origin at voxel 0): the published ones where the
        case has them."""
        affine = axis_affine(SLICE_ORIENTATION, self.spacing)
        gt = Volume(np.asarray(served['mask']), affine)
        if served.get('centroids'):
            truth = {v: gt.voxel_to_world(c)[0]
                     for v, c in served['centroids'].items()}
        else:
            truth = body_centroids(gt)
        return truth, body_centroids(Volume(pred, affine))

    def process(self, data_batch, data_samples):
        for s in data_samples:
            ct, plane, index = parse_slice_path(s['img_path'])
            pred = s['pred_sem_seg']['data'][0].cpu().numpy().astype(np.uint8)
            if get_world_size() > 1:
                self.results.append(('slice', ct, plane, index, pred))
            else:
                self._add_slice(ct, plane, index, pred)

    def _add_slice(self, ct, plane, index, pred):
        key = osp.abspath(ct)
        buf = self._open.get(key)
        if buf is None:
            shape = np.asarray(self.reader(self._case(key))['mask']).shape
            buf = self._open[key] = dict(volume=np.zeros(shape, np.uint8),
                                         plane=plane, seen=set())
        put_slice(buf['volume'], index, plane, pred)
        buf['seen'].add(index)
        if len(buf['seen']) == num_slices(buf['volume'].shape, plane):
            self._close(key)

    def _close(self, key):
        buf = self._open.pop(key)
        self.results.append(('case', self._score(key, buf['volume'],
                                                 buf['plane'],
                                                 len(buf['seen']))))

    def evaluate(self, size):
        for key in list(self._open):  # cases the dataset did not finish
            self._close(key)
        return super().evaluate(size)

    def _score(self, ct, volume, plane, num_seen):
        """The :func:`evaluate_labels` row of one case's class volume."""
        logger = MMLogger.get_current_instance()
        classes = self.dataset_meta['classes']
        levels = class_labels(classes) is not None
        case = self._case(ct)
        served = self.reader(case)
        gt = np.asarray(served['mask'])
        n = num_slices(gt.shape, plane)
        if num_seen < n:
            print_log(f'{case["stem"]}: {num_seen} of {n} {plane} slices '
                      'predicted; the others count as background', logger,
                      level=30)
        pred = instances_from_classes(volume, classes, self.min_voxels)
        if not levels:
            pred = relabel_by_overlap(pred, gt)
        r = evaluate_labels(pred, gt, self.spacing, self.with_hd,
                            self._centroids(served, pred))
        if not levels:
            r['id_rate'] = r['mean_distance'] = float('nan')
        logger.info(
            f'{case["stem"]}: Dice {r["dice"]:.3f}, per-vertebra '
            f'{r["mean_dice"]:.3f}, HD95 {r["mean_hd95"]:.2f} mm, '
            f'id.rate {r["id_rate"]:.3f}')
        return r

    def compute_metrics(self, results):
        rows = [r[1] for r in results if r[0] == 'case']
        by_case = defaultdict(list)  # a distributed run's slices
        for _, ct, plane, index, pred in (r for r in results
                                          if r[0] == 'slice'):
            by_case[osp.abspath(ct)].append((plane, index, pred))
        for ct, slices in sorted(by_case.items()):
            gt_shape = np.asarray(self.reader(self._case(ct))['mask']).shape
            volume = np.zeros(gt_shape, np.uint8)
            for p, k, pred in slices:
                put_slice(volume, k, p, pred)
            rows.append(self._score(ct, volume, slices[0][0],
                                    len({k for _, k, _ in slices})))
        levels = class_labels(self.dataset_meta['classes']) is not None
        return summarize_cases(rows, levels)
