"""How well the levels are counted from anatomy when the segmentation is
perfect: :func:`spinemm.morphometry.ct_levels.levels_from_anatomy` on the
truth classes of a label map (a phantom's, or a real template's), scored
per vertebra. This separates the counting rule from the network: what it
gets wrong here, no model can get right."""
import numpy as np

from ..anatomy import VERSE_LEVELS
from ..morphometry.ct_levels import levels_from_anatomy
from ..synthesis.anatomy_codes import BONE, anatomy_classes, is_vertebra


def count_on_truth(codes, spacing=2.0, min_voxels=500):
    """``codes``: template codes on the model grid (('I', 'P', 'R'),
    ``spacing`` mm). Every vertebra of at least ``min_voxels`` voxels (not
    a sliver cut by the scan) is identified when the label covering most
    of it is its own. Returns dict(identified, total, anchor, consistent,
    wrong=[(true level, counted level)])."""
    codes = np.asarray(codes)
    labels, report = levels_from_anatomy(anatomy_classes(codes, spacing),
                                         spacing, skull=codes == BONE['skull'])
    ok, total, wrong = 0, 0, []
    for v in np.unique(codes[is_vertebra(codes)]):
        mask = codes == v
        if mask.sum() < min_voxels:
            continue
        got = int(np.bincount(labels[mask]).argmax())
        total += 1
        ok += got == v
        if got != v:
            wrong.append((VERSE_LEVELS[int(v)], VERSE_LEVELS.get(got, '-')))
    return dict(identified=ok, total=total, anchor=report['anchor'],
                consistent=report['consistent'], wrong=wrong)


__all__ = ['count_on_truth']
