"""3D vertebra metrics as the VerSe challenge defines them, in numpy.

Everything works on label volumes (0 background, VerSe labels 1..28) with a
voxel ``spacing`` in mm, so distances are in mm whatever the grid:

* :func:`vertebra_dice` - Dice per ground-truth vertebra (a vertebra the
  prediction lacks scores 0).
* :func:`hd95` - the 95th-percentile symmetric surface distance (mm): the
  larger of the two directed 95th percentiles of the distances from one
  surface's voxels to the other surface (surfaces: voxels with a 6-neighbour
  outside the mask).
* :func:`identify` - VerSe's identification rate and localisation distance
  on centroids (``anjany/verse``, ``utils/eval_utilities.get_hits``): among
  the labels present in both the prediction and the ground truth, the
  predicted centroid of label ``v`` *identifies* vertebra ``v`` when the
  nearest ground-truth centroid to it is ``v``'s and lies within 20 mm. The
  id.rate divides the hits by the number of ground-truth vertebrae, so a
  vertebra the prediction misses counts as a failure. The localisation
  distance is the distance between the predicted and true centroids of each
  label present in both.

VerSe evaluates at 1 mm (annotations were made at 1 mm): resample both
volumes to 1 mm first (:func:`spinemm.io.resample`, nearest neighbour) or
pass the spacing; centroids here are in mm on the array's axes.
"""
import numpy as np
from scipy import ndimage

#: VerSe's identification radius (mm).
ID_RADIUS_MM = 20.0


def vertebra_dice(pred, gt, labels=None):
    """``{label: Dice}`` for each label of ``gt`` (or of ``labels``)."""
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'shape mismatch: prediction {pred.shape}, '
                         f'ground truth {gt.shape}')
    if labels is None:
        labels = [int(v) for v in np.unique(gt) if v != 0]
    out = {}
    for v in labels:
        p, g = pred == v, gt == v
        denom = p.sum() + g.sum()
        out[int(v)] = float(2.0 * np.logical_and(p, g).sum() / denom) \
            if denom else 1.0
    return out


def surface(mask):
    """Voxels of ``mask`` with at least one 6-neighbour outside it (the
    array border counts as outside)."""
    mask = np.asarray(mask, bool)
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def directed_surface_distances(a, b, spacing):
    """Distance (mm) from each surface voxel of ``a`` to ``b``'s surface."""
    sa, sb = surface(a), surface(b)
    dist_to_b = ndimage.distance_transform_edt(~sb, sampling=spacing)
    return dist_to_b[sa]


def _bounding_box(mask, margin=0):
    """Slices of the smallest box holding ``mask``, grown by ``margin``
    voxels and clipped to the array."""
    out = []
    for axis in range(mask.ndim):
        hit = np.nonzero(mask.any(tuple(a for a in range(mask.ndim)
                                        if a != axis)))[0]
        out.append(slice(max(int(hit[0]) - margin, 0),
                         min(int(hit[-1]) + 1 + margin, mask.shape[axis])))
    return tuple(out)


def hd95(pred_mask, gt_mask, spacing=(1.0, 1.0, 1.0)):
    """95th-percentile Hausdorff distance (mm); ``inf`` when exactly one
    mask is empty, 0 when both are."""
    p, g = np.asarray(pred_mask, bool), np.asarray(gt_mask, bool)
    if not p.any() and not g.any():
        return 0.0
    if not p.any() or not g.any():
        return float('inf')
    # only the box around both masks (+1 voxel, clipped to the array, so
    # that surfaces and the array border are what they were): the distance
    # transforms then cost the size of one vertebra, not of the whole CT
    box = _bounding_box(p | g, margin=1)
    p, g = p[box], g[box]
    d_pg = directed_surface_distances(p, g, spacing)
    d_gp = directed_surface_distances(g, p, spacing)
    return float(max(np.percentile(d_pg, 95), np.percentile(d_gp, 95)))


def label_centroids(labels, spacing=(1.0, 1.0, 1.0)):
    """``{label: (3,) centroid in mm}`` along the array's axes (voxel
    centre ``i`` lies at ``i * spacing``)."""
    labels = np.asarray(labels)
    present = [int(v) for v in np.unique(labels) if v != 0]
    if not present:
        return {}
    centres = ndimage.center_of_mass(np.ones(labels.shape), labels, present)
    return {v: np.asarray(c) * np.asarray(spacing, float)
            for v, c in zip(present, centres)}


def identify(gt_centroids, pred_centroids, radius=ID_RADIUS_MM):
    """VerSe identification on centroid dicts ``{label: (3,) mm}``.

    Returns:
        dict(hits={gt label: bool}, id_rate=hits / number of ground-truth
        vertebrae (nan when there are none), distances={label: mm} for the
        labels present in both, mean_distance (nan when none)).
    """
    common = sorted(set(gt_centroids) & set(pred_centroids))
    hits = {int(v): False for v in gt_centroids}
    distances = {}
    if common:
        gt = np.array([gt_centroids[v] for v in common], float)
        pred = np.array([pred_centroids[v] for v in common], float)
        # rows: predicted vertebrae, columns: true ones (labels in both)
        d = np.linalg.norm(pred[:, None] - gt[None], axis=-1)
        nearest = d.argmin(1)
        for i, v in enumerate(common):
            distances[v] = float(d[i, i])
            hits[v] = bool(nearest[i] == i and d[i, i] <= radius)
    n = len(gt_centroids)
    return dict(hits=hits,
                id_rate=sum(hits.values()) / n if n else float('nan'),
                distances=distances,
                mean_distance=float(np.mean(list(distances.values())))
                if distances else float('nan'))


def pooled_id_rate(results):
    """VerSe's dataset id.rate: every scan's hits over every scan's
    ground-truth vertebrae (``results``: :func:`identify` outputs); nan
    when there are none. The per-scan mean is ``nanmean`` of their
    ``id_rate`` and weighs a 4-vertebra scan like a 20-vertebra one."""
    hits = sum(sum(r['hits'].values()) for r in results)
    total = sum(len(r['hits']) for r in results)
    return hits / total if total else float('nan')


def evaluate_labels(pred, gt, spacing=(1.0, 1.0, 1.0), with_hd=True,
                    centroids=None):
    """Every 3D metric of one case.

    Args:
        centroids: ``(gt, pred)`` centroid dicts ``{label: (3,) mm}`` (any
            common frame) to identify with; default the centres of the
            whole masks (not VerSe's protocol: VerSe's centroids are
            vertebral-body centres, see :mod:`spinemm.seg.body_centroids`).

    Returns:
        dict(per_vertebra={label: dict(dice, hd95, hit, distance)},
        dice (binary: any vertebra), mean_dice, mean_hd95 (over finite
        values), id_rate, mean_distance, identification=the
        :func:`identify` result).
    """
    pred, gt = np.asarray(pred), np.asarray(gt)
    dice = vertebra_dice(pred, gt)
    if centroids is None:
        centroids = (label_centroids(gt, spacing),
                     label_centroids(pred, spacing))
    ident = identify(*centroids)
    rows = {}
    for v in sorted(set(dice) | set(ident['hits'])):
        dv = dice.get(v, float('nan'))
        rows[v] = dict(dice=dv,
                       hd95=hd95(pred == v, gt == v, spacing)
                       if with_hd and v in dice else float('nan'),
                       hit=ident['hits'].get(v, False),
                       distance=ident['distances'].get(v, float('nan')))
    dices = [r['dice'] for r in rows.values() if np.isfinite(r['dice'])]
    hds = [r['hd95'] for r in rows.values() if np.isfinite(r['hd95'])]
    return dict(per_vertebra=rows,
                dice=vertebra_dice(pred > 0, gt > 0, [1])[1],
                mean_dice=float(np.mean(dices)) if dices else float('nan'),
                mean_hd95=float(np.mean(hds)) if hds else float('nan'),
                id_rate=ident['id_rate'],
                mean_distance=ident['mean_distance'],
                identification=ident)


def summarize_cases(results, levels=True):
    """The dataset figures of :func:`evaluate_labels` results, one
    aggregation for ``eval_verse.py`` and ``VerseVolumeMetric``: dice (mean
    over scans), vertebra_dice (mean over every vertebra of every scan),
    hd95 (mean of the finite per-vertebra values), id_rate (VerSe's: pooled
    over every vertebra), id_rate_per_scan, loc_distance (mean over the
    vertebrae present in both), num_vertebrae. Without ``levels`` (a binary
    model: labels are not levels) the identification figures are nan."""
    per_vert = [v for r in results for v in r['per_vertebra'].values()]
    dices = [v['dice'] for v in per_vert if np.isfinite(v['dice'])]
    hds = [v['hd95'] for v in per_vert if np.isfinite(v['hd95'])]
    dists = [v['distance'] for v in per_vert if np.isfinite(v['distance'])]
    nan = float('nan')
    return dict(
        dice=float(np.mean([r['dice'] for r in results])) if results else nan,
        vertebra_dice=float(np.mean(dices)) if dices else nan,
        hd95=float(np.mean(hds)) if hds else nan,
        id_rate=pooled_id_rate([r['identification'] for r in results])
        if levels else nan,
        id_rate_per_scan=float(np.nanmean([r['id_rate'] for r in results]))
        if levels and results else nan,
        loc_distance=float(np.mean(dists)) if levels and dists else nan,
        num_vertebrae=len(per_vert))
