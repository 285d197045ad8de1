"""Vertebra instances from a network's class map: one id per vertebra.

The counting rule (:mod:`spinemm.morphometry.ct_levels`) needs each
vertebra as one instance, head to foot. A network marks classes, not
instances, so they are built here:

- seeds: the components of the vertebra voxels off the contact band
  (:func:`vertebra_instances`) or, better, the body-centre blobs
  (:func:`centre_instances`), each flooding the vertebra voxels joined to
  it;
- only the column: instances off the line of the others go
  (:func:`on_column`: pelvis, shoulders, sternum);
- one vertebra per instance: an instance with a waist in its
  cross-section is cut there (:func:`split_merged`), one whose body
  centre spans two to four vertebrae' heights along the column is cut
  into that many (:func:`split_long`), and one with far less body centre
  than its neighbours is a piece of one and joins it
  (:func:`merge_fragments`).
"""
import numpy as np
from scipy import ndimage

def vertebra_instances(core, vertebra, spacing, min_seed_ml=0.5,
                       min_share=0.2, erode_mm=0.0):
    """Instance ids (int32, 1..n head to foot) on an ('I', 'P', 'R') grid
    of ``spacing`` mm (one float or three): each sizeable component of
    ``core`` (vertebra voxels not in contact with another vertebra) seeds
    one instance, and every voxel of ``vertebra`` (core + contact) joins
    its nearest seed. Components under ``min_seed_ml`` or under
    ``min_share`` of the median seed (a piece of an arch cut off by the
    contact band) are not seeds. ``erode_mm`` > 0 erodes ``core`` first
    (thin bridges between levels go, but on the real chest CT's truth 2 mm
    split an arch off a thoracic vertebra: one level too many)."""
    core = np.asarray(core, bool)
    vertebra = np.asarray(vertebra, bool) | core
    spacing = np.broadcast_to(np.asarray(spacing, float), (3, ))
    out = np.zeros(vertebra.shape, np.int32)
    steps = int(round(erode_mm / float(spacing.min())))
    if steps > 0:
        eroded = ndimage.binary_erosion(core, iterations=steps)
        if eroded.any():
            core = eroded
    seeds, n = ndimage.label(core)
    if n == 0:
        return out
    voxel_ml = float(np.prod(spacing)) / 1000.0
    sizes = np.bincount(seeds.ravel())[1:] * voxel_ml
    big = sizes >= min_seed_ml
    if not big.any():
        return out
    keep = np.nonzero(big & (sizes >= min_share *
                             np.median(sizes[big])))[0] + 1
    centres = ndimage.center_of_mass(np.ones(seeds.shape), seeds, keep)
    order = keep[np.argsort([c[0] for c in centres])]
    lut = np.zeros(n + 1, np.int32)
    lut[order] = np.arange(1, len(order) + 1)
    seeds = lut[seeds]
    idx = ndimage.distance_transform_edt(seeds == 0, sampling=spacing,
                                         return_distances=False,
                                         return_indices=True)
    nearest = seeds[tuple(idx)]
    out[vertebra] = nearest[vertebra]
    return out


def _same_level(seeds, keep, spacing, same_mm):
    """The seed ids ``keep`` grouped by level: two centre blobs whose
    head-to-foot extents overlap by more than half of the shorter one and
    whose centres lie within ``same_mm`` of each other in the axial plane
    are one body (a slice model can leave a body's middle out and mark
    its centre as two blobs, left and right); the centres of two levels
    are a disc and half a body apart."""
    boxes = ndimage.find_objects(seeds)
    rows = [(boxes[k - 1][0].start, boxes[k - 1][0].stop) for k in keep]
    where = np.array(ndimage.center_of_mass(np.ones(seeds.shape), seeds,
                                            keep)) * spacing
    parent = list(range(len(keep)))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i
    for i in range(len(keep)):
        for j in range(i + 1, len(keep)):
            overlap = min(rows[i][1], rows[j][1]) - max(rows[i][0],
                                                        rows[j][0])
            shorter = min(rows[i][1] - rows[i][0], rows[j][1] - rows[j][0])
            if overlap > 0.5 * shorter and np.hypot(
                    *(where[i, 1:] - where[j, 1:])) <= same_mm:
                parent[root(j)] = root(i)
    out = {}
    for i, k in enumerate(keep):
        out.setdefault(root(i), []).append(int(k))
    return list(out.values())


def centre_instances(centres, vertebra, contact, spacing, min_seed_ml=0.3,
                     min_share=0.1, same_mm=30.0):
    """Instance ids (int32, 1..n head to foot) grown from the body
    centres: each component of ``centres`` of at least ``min_seed_ml``
    (and ``min_share`` of the median one) seeds an instance, which floods
    the vertebra voxels (``centres | vertebra | contact``) connected to it,
    through the voxels off the ``contact`` band first (a watershed). A
    flood, not the nearest seed: a thoracic spinous process slopes down
    behind the next body, nearer to that body's centre than to its own,
    but joined to its own body by the pedicles and to the next vertebra
    only across a facet joint. Voxels no seed reaches stay 0. Blobs at
    one height (:func:`_same_level`, within ``same_mm``) seed one
    instance."""
    from skimage.segmentation import watershed
    centres = np.asarray(centres, bool)
    contact = np.asarray(contact, bool)
    vertebra = np.asarray(vertebra, bool) | centres | contact
    spacing = np.broadcast_to(np.asarray(spacing, float), (3, ))
    out = np.zeros(vertebra.shape, np.int32)
    seeds, n = ndimage.label(centres)
    if n == 0:
        return out
    sizes = np.bincount(seeds.ravel())[1:] * float(np.prod(spacing)) / 1e3
    big = sizes >= min_seed_ml
    if not big.any():
        return out
    keep = np.nonzero(big & (sizes >= min_share *
                             np.median(sizes[big])))[0] + 1
    groups = _same_level(seeds, keep, spacing, same_mm)
    heights = [np.mean([ndimage.center_of_mass(seeds == k)[0] for k in g])
               for g in groups]
    lut = np.zeros(n + 1, np.int32)
    for rank, g in enumerate(np.argsort(heights), 1):
        lut[groups[g]] = rank
    markers = lut[seeds]
    box = ndimage.find_objects(vertebra.astype(np.uint8))[0]
    out[box] = watershed(contact[box].astype(np.uint8), markers[box],
                         mask=vertebra[box])
    return out


def _offset(centres, sizes, support, k, window_mm):
    """Axial-plane distance of instance ``k`` from the line (volume-
    weighted) through the ``support`` instances within ``window_mm`` of it
    head to foot; None when there are none."""
    near = support & (np.abs(centres[:, 0] - centres[k, 0]) <= window_mm)
    near[k] = False
    if not near.any():
        return None
    if near.sum() == 1:
        ref = centres[near, 1:][0]
    else:
        z, w = centres[near, 0], np.sqrt(sizes[near])
        if np.ptp(z) < 1.0:
            ref = np.average(centres[near, 1:], axis=0, weights=w)
        else:
            ref = [np.polyval(np.polyfit(z, centres[near, a], 1, w=w),
                              centres[k, 0]) for a in (1, 2)]
    return float(np.hypot(*(centres[k, 1:] - ref)))


def on_column(instances, spacing, max_offset_mm=30.0, window_mm=80.0,
              min_ml=1.0):
    """``instances`` without those off the spinal column (bone of the
    pelvis, shoulder or sternum, bowel contrast taken for a vertebra) or
    under ``min_ml``. The column is found as RANSAC finds a line: of the
    lines through two instances 20-150 mm apart head to foot (each within
    ``max_offset_mm`` of the volume-weighted median left-right position:
    the pelvis and shoulders are paired around the spine), the one with
    the most instance volume within ``max_offset_mm`` of it (in the axial
    plane, over its span +- ``window_mm``) gives the first members; the
    column then grows, head and foot, by every instance within
    ``max_offset_mm`` of the line through the members within ``window_mm``
    of it (a local line: the column curves). Kept ids are renumbered 1..n
    head to foot."""
    spacing = np.broadcast_to(np.asarray(spacing, float), (3, ))
    ids = np.arange(1, int(instances.max()) + 1)
    if len(ids) == 0:
        return instances
    sizes = ndimage.sum(np.ones(instances.shape), instances, ids) * \
        float(np.prod(spacing)) / 1000.0
    centres = np.array(ndimage.center_of_mass(np.ones(instances.shape),
                                              instances, ids)) * spacing
    big = sizes >= min_ml
    if not big.any():
        return np.zeros_like(instances)
    # the column lies near the body's left-right middle: iliac wings,
    # shoulder blades and ribs come in pairs on either side of it
    order = np.argsort(centres[big, 2])
    cum = np.cumsum(sizes[big][order])
    mid = centres[big, 2][order][np.searchsorted(cum, cum[-1] / 2)]
    cand = np.nonzero(big & (np.abs(centres[:, 2] - mid) <=
                             max_offset_mm))[0]
    if len(cand) == 0:
        cand = np.nonzero(big)[0]
    best, keep = -1.0, None
    for i in cand:  # a lone instance is a (short) column too
        members = np.zeros(len(ids), bool)
        members[i] = True
        if sizes[i] > best:
            best, keep = sizes[i], members
    for n, i in enumerate(cand):
        for j in cand[n + 1:]:
            dz = centres[j, 0] - centres[i, 0]
            if not 20.0 <= abs(dz) <= 150.0:
                continue
            t = (centres[:, 0] - centres[i, 0]) / dz
            line = centres[i, 1:] + t[:, None] * (centres[j, 1:] -
                                                  centres[i, 1:])
            lo = min(centres[i, 0], centres[j, 0]) - window_mm
            hi = max(centres[i, 0], centres[j, 0]) + window_mm
            members = big & (np.hypot(*(centres[:, 1:] - line).T) <=
                             max_offset_mm) & (centres[:, 0] >= lo) & \
                (centres[:, 0] <= hi)
            score = sizes[members].sum()
            if score > best:
                best, keep = score, members
    grown = True
    while grown:
        grown = False
        for k in np.nonzero(big & ~keep)[0]:
            d = _offset(centres, sizes, keep, k, window_mm)
            if d is not None and d <= max_offset_mm:
                keep[k] = grown = True
    lut = np.zeros(len(ids) + 1, np.int32)
    lut[ids[keep]] = np.arange(1, keep.sum() + 1)
    return lut[instances]


def split_merged(instances, spacing, min_part_mm=14.0, depth=0.5,
                 core=None):
    """Split instances that hold more than one vertebra (a column the
    contact class did not cut): along axis 0 (head to foot), the area of
    each axial cross-section falls at every disc; a cut is made at a
    minimum below ``depth`` x the smaller of the two peaks around it, when
    both parts are at least ``min_part_mm`` tall. With ``core`` (the
    vertebra voxels not marked as contact) the area counts core voxels
    only: the network's contact marks thicken at the discs even where they
    do not cut, so the waists are deeper. Ids are renumbered 1..n head to
    foot."""
    spacing = np.broadcast_to(np.asarray(spacing, float), (3, ))
    min_rows = max(2, int(round(min_part_mm / spacing[0])))
    out = np.zeros_like(instances)
    parts = []
    for i in range(1, int(instances.max()) + 1):
        mask = instances == i
        rows = np.nonzero(mask.any((1, 2)))[0]
        if len(rows) == 0:
            continue
        counted = mask if core is None else mask & core
        area = ndimage.uniform_filter1d(
            counted[rows[0]:rows[-1] + 1].sum((1, 2)).astype(float), 3)
        cuts, start = [], 0
        for r in range(min_rows, len(area) - min_rows):
            left = area[start:r].max() if r > start else 0.0
            right = area[r:].max()
            if r - start >= min_rows and area[r] == area[max(r - 2, 0):
                                                         r + 3].min() \
                    and area[r] < depth * min(left, right):
                cuts.append(r)
                start = r
        bounds = [rows[0]] + [rows[0] + c for c in cuts] + [rows[-1] + 1]
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            part = np.zeros_like(mask)
            part[lo:hi] = mask[lo:hi]
            parts.append((lo, part))
    for k, (_, part) in enumerate(sorted(parts, key=lambda p: p[0]), 1):
        out[part] = k
    return out


def _column_spans(inst, ids, core, spacing):
    """Per instance: the span (mm, 3rd to 97th percentile) of its ``core``
    voxels along the column - the line through the centres of its two
    neighbours (its one neighbour and itself at an end) - and the voxels'
    indices and positions along that line; and the distances between
    consecutive instances' centres."""
    centres = np.array(ndimage.center_of_mass(np.ones(inst.shape), inst,
                                              ids)) * spacing
    pitch = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    spans, where = np.zeros(len(ids)), []
    for i, k in enumerate(ids):
        d = centres[min(i + 1, len(ids) - 1)] - centres[max(i - 1, 0)]
        d = d / max(np.linalg.norm(d), 1e-6)
        pts = np.argwhere((inst == k) & core)
        pos = (pts * spacing) @ d
        if len(pos) >= 5:
            spans[i] = np.percentile(pos, 97) - np.percentile(pos, 3)
        where.append((pts, pos))
    return spans, where, pitch


def _waists(profile, depth, most, min_bins):
    """Up to ``most`` indices of ``profile``'s local minima under ``depth``
    x the smaller of its maxima on either side, deepest first, each at
    least ``min_bins`` from the ends and from one another."""
    n = len(profile)
    found = []
    for m in range(min_bins, n - min_bins):
        near = profile[max(m - 2, 0):m + 3]
        if profile[m] > near.min():
            continue
        dip = profile[m] / max(min(profile[:m].max(), profile[m + 1:].max()),
                               1e-9)
        if dip < depth:
            found.append((dip, m))
    kept = []
    for _, m in sorted(found):
        if len(kept) < most and all(abs(m - k) >= min_bins for k in kept):
            kept.append(m)
    return kept


def split_long(instances, core, spacing, contact=None, ratio=1.4, window=3,
               max_parts=4, depth=0.8, bin_mm=2.0):
    """Cut the instances that hold two to four vertebrae whose body
    centres the network joined (a column leaning across the slices blurs
    the disc between them, and :func:`split_merged` finds no waist). The
    span of an instance's body centre (``core``) along the column is
    compared with the median span of the instances within ``window`` of
    it head to foot (not counting those cut by the top or bottom face of
    the volume: a cut vertebra is short); at ``ratio`` x or more it holds
    two vertebrae, or one more for every further centre-to-centre
    distance (its neighbours' median) by which its span exceeds that
    median span (at most ``max_parts``). The cuts go at the waists of the
    centre's profile along the column (its voxels per ``bin_mm``): local
    minima under ``depth`` x the smaller of the peaks on either side (a
    disc between), deepest first, at least half a median span apart. The
    instance's voxels are then flooded from the parts of its centre
    (across the ``contact`` band last, as :func:`centre_instances`
    does). On the real CTs, the spans of the
    instances holding two or three vertebrae were 1.5-3.1 x their
    neighbours' and their waists 0.27-0.76 x the peaks; single vertebrae
    spanned up to 2.0 x (a lumbar body marked with part of its arch) but
    had no waist (1.1-2.1). The real chest's T8-T11 came as one instance
    of 83 mm (4 x its neighbours', waists 0.45-0.6) with
    `_tilt-25_x2_sloped-ribs`: ``max_parts`` 3 cut it in three and left
    the count one off below (2026-12-06). Ids are renumbered 1..n head to
    foot."""
    from skimage.segmentation import watershed
    spacing = np.broadcast_to(np.asarray(spacing, float), (3, ))
    inst = np.asarray(instances)
    core = np.asarray(core, bool)
    ids = np.arange(1, int(inst.max()) + 1)
    ids = ids[np.isin(ids, inst)]
    if len(ids) < 3:
        return inst
    spans, where, pitch = _column_spans(inst, ids, core, spacing)
    cut_by_face = np.isin(ids, np.concatenate([inst[0].ravel(),
                                               inst[-1].ravel()]))
    ref = np.where(cut_by_face, 0.0, spans)
    out = inst.copy()
    new_id = int(inst.max()) + 1
    for i, k in enumerate(ids):
        near = np.concatenate([ref[max(i - window, 0):i],
                               ref[i + 1:i + window + 1]])
        near = near[near > 0]
        if len(near) < 2 or spans[i] < ratio * np.median(near):
            continue
        # one vertebra's span, and a pitch (centre to centre, its
        # neighbours' median) for every further one
        steps = [pitch[j] for j in range(max(i - window, 0),
                                         min(i + window, len(pitch)))
                 if j not in (i - 1, i)]
        extra = (spans[i] - np.median(near)) / np.median(steps) \
            if steps else 1.0
        parts = min(1 + max(1, int(round(extra))), max_parts)
        pts, pos = where[i]
        lo, hi = np.percentile(pos, 3), np.percentile(pos, 97)
        hist, edges = np.histogram(pos, np.arange(lo, hi + bin_mm, bin_mm))
        hist = ndimage.uniform_filter1d(hist.astype(float), 3)
        cuts = _waists(hist, depth, parts - 1,
                       int(np.ceil(0.5 * np.median(near) / bin_mm)))
        cuts = sorted(edges[m + 1] for m in cuts)
        if not cuts:
            continue
        mask = inst == k
        box = ndimage.find_objects(mask.astype(np.uint8))[0]
        markers = np.zeros(mask[box].shape, np.int32)
        local = pts - [sl.start for sl in box]
        markers[tuple(local.T)] = np.searchsorted(cuts, pos) + 1
        relief = np.zeros(markers.shape, np.uint8) if contact is None else \
            np.asarray(contact, np.uint8)[box]
        flood = watershed(relief, markers, mask=mask[box])
        sub = out[box]
        for part in range(2, len(cuts) + 2):
            sub[mask[box] & (flood == part)] = new_id
            new_id += 1
    kept = np.unique(out)
    kept = kept[kept > 0]
    rows = np.array(ndimage.center_of_mass(np.ones(out.shape), out,
                                           kept))[:, 0]
    lut = np.zeros(int(out.max()) + 1, np.int32)
    lut[kept[np.argsort(rows)]] = np.arange(1, len(kept) + 1)
    return lut[out]


def merge_fragments(instances, core, spacing, share=0.35, end_share=0.15):
    """``instances`` (ids head to foot) with the fragments folded into a
    neighbour: an instance whose ``core`` volume (the body-centre voxels
    it holds) is under ``share`` x the median of its nearest neighbours'
    (up to two on either side, head to foot; ``end_share`` x its one
    neighbour's at either end of the column) is no vertebra of its own but
    a piece of one - a disc's rim, a posterior element :func:`split_merged`
    cut off, a corner of a body marked as a centre - since adjacent
    vertebral bodies differ in size by far less. The median, not the
    smaller neighbour: two fragments side by side (a real L4 came as a
    body and two pieces of arch) would each pass against the other. A
    fragment joins the instance it touches over the most voxel faces, or
    is dropped when it touches none. The smallest ratio goes first, then
    the ratios are computed again. Ids are renumbered 1..n head to
    foot."""
    inst = np.asarray(instances).copy()
    core = np.asarray(core, bool)
    while True:
        ids = np.unique(inst)
        ids = ids[ids > 0]
        if len(ids) < 2:
            break
        vol = ndimage.sum(core, inst, ids)
        rows = np.array(ndimage.center_of_mass(np.ones(inst.shape), inst,
                                               ids))[:, 0]
        order = np.argsort(rows)
        ids, vol = ids[order], vol[order]
        ratio = np.empty(len(ids))
        for i in range(len(ids)):
            if 0 < i < len(ids) - 1:
                nb = np.concatenate([vol[max(i - 2, 0):i], vol[i + 1:i + 3]])
                limit = share * np.median(nb)
            else:
                limit = end_share * vol[1 if i == 0 else i - 1]
            ratio[i] = vol[i] / limit if limit > 0 else np.inf
        i = int(np.argmin(ratio))
        if ratio[i] >= 1.0:
            break
        mask = inst == ids[i]
        box = tuple(slice(max(sl.start - 1, 0), sl.stop + 1)
                    for sl in ndimage.find_objects(mask.astype(np.uint8))[0])
        rim = ndimage.binary_dilation(mask[box]) & ~mask[box]
        touch = inst[box][rim]
        touch = touch[touch > 0]
        inst[mask] = np.bincount(touch).argmax() if len(touch) else 0
    ids = np.unique(inst)
    ids = ids[ids > 0]
    lut = np.zeros(int(inst.max()) + 1, np.int32)
    if len(ids):
        rows = np.array(ndimage.center_of_mass(np.ones(inst.shape), inst,
                                               ids))[:, 0]
        lut[ids[np.argsort(rows)]] = np.arange(1, len(ids) + 1)
    return lut[inst]
