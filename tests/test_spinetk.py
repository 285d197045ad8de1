"""SpineTK layout: reader, 6-point and 4-corner inputs, ids, case split,
oversampling, and the photometric recipe."""
import json
import os.path as osp

import numpy as np
import pytest

from spinemm.augment import (OPERATIONS, add, linear_contrast,
                             spinetk_photometric)
from spinemm.formats.spinetk import (decode_image_id, encode_image_id,
                                     read_spinetk, six_keypoints,
                                     split_cases, spinetk_to_coco)
from spinemm.phantoms import write_spinetk_phantoms


@pytest.fixture(scope='module')
def spinetk(tmp_path_factory):
    base = tmp_path_factory.mktemp('spinetk')
    six = str(base / 'six')
    four = str(base / 'four')
    phantoms = write_spinetk_phantoms(six, num_cases=8, seed=2,
                                      progress=False)
    write_spinetk_phantoms(four, num_cases=8, seed=2, corners_only=True,
                           progress=False)
    return six, four, phantoms


def _coco(root, out):
    spinetk_to_coco(root, out)
    return {s: json.load(open(osp.join(out, f'{s}.json')))
            for s in ('train', 'val', 'test')}


def test_six_and_four_point_inputs_give_the_same_coco(spinetk, tmp_path):
    six, four, phantoms = spinetk
    a = _coco(six, str(tmp_path / 'a'))
    b = _coco(four, str(tmp_path / 'b'))
    for split in a:
        ka = np.array([x['keypoints'] for x in a[split]['annotations']])
        kb = np.array([x['keypoints'] for x in b[split]['annotations']])
        ka, kb = ka.reshape(-1, 6, 3), kb.reshape(-1, 6, 3)
        corners = [0, 2, 3, 5]
        np.testing.assert_allclose(ka[:, corners], kb[:, corners])
        # derived middles are the endplate mid-points, and say so
        np.testing.assert_allclose(kb[:, 1, :2],
                                   (kb[:, 0, :2] + kb[:, 2, :2]) / 2,
                                   atol=1e-3)
        assert all(x['derived_keypoints'] == [1, 4]
                   for x in b[split]['annotations'])
        assert not any('derived_keypoints' in x
                       for x in a[split]['annotations'])
    # the six-point source images carry the phantom's exact keypoints
    img = a['test']['images'][0]
    case = img['spinetk_id'].split('-')[0]
    truth = np.stack([v.keypoints for v in phantoms[case].vertebrae])
    got = np.array([x['keypoints'] for x in a['test']['annotations']
                    if x['image_id'] == img['id']]).reshape(-1, 6, 3)
    np.testing.assert_allclose(got[..., :2], truth, atol=1e-3)


def test_split_keeps_cases_whole_and_src_only_outside_train(spinetk,
                                                            tmp_path):
    six, _, _ = spinetk
    coco = _coco(six, str(tmp_path / 'c'))
    meta, _ = read_spinetk(six)
    cases = {}
    for split, c in coco.items():
        names = {im['spinetk_id'].split('-')[0] for im in c['images']}
        cases[split] = names
        kinds = {im['spinetk_id'].split('-')[1] for im in c['images']}
        assert kinds == ({'src', 'aug'} if split == 'train' else {'src'})
        for im in c['images']:
            case = im['spinetk_id'].split('-')[0]
            assert im['hardware'] == meta[case]['hardware']
            assert decode_image_id(im['id'], sorted(meta)) == \
                im['spinetk_id']
    assert cases['train'] | cases['val'] | cases['test'] == set(meta)
    assert not (cases['train'] & cases['val'] or
                cases['train'] & cases['test'] or
                cases['val'] & cases['test'])


def test_split_is_stratified_and_seeded():
    rng = np.random.default_rng(0)
    meta = {f'c{i:03d}': dict(hardware=bool(rng.random() < 0.3))
            for i in range(200)}
    s1 = split_cases(meta, seed=7)
    assert s1 == split_cases(meta, seed=7) != split_cases(meta, seed=8)
    overall = np.mean([m['hardware'] for m in meta.values()])
    for cases in s1.values():
        assert abs(np.mean([meta[c]['hardware'] for c in cases]) -
                   overall) < 0.06
    assert len(s1['test']) == 40
    with pytest.raises(ValueError, match='smoker'):
        split_cases(meta, strat_var='smoker')


def test_ids_are_reversible():
    cases = ['007', '100', 'abc']
    for r, case in enumerate(cases):
        for k in (0, 1, 29):
            iid = encode_image_id(r, k)
            want = f'{case}-src-0' if k == 0 else f'{case}-aug-{k}'
            assert decode_image_id(iid, cases) == want


def test_bad_keypoint_count_names_the_file(tmp_path):
    with pytest.raises(ValueError, match='x.json.*15 keypoint values'):
        six_keypoints(range(15), 'x.json')


def test_oversampling_repeats_hardware_cases(spinetk, tmp_path):
    from mmengine.registry import init_default_scope

    from spinemm.registry import DATASETS
    six, _, _ = spinetk
    coco = _coco(six, str(tmp_path / 'o'))
    init_default_scope('mmdet')
    kw = dict(type='spinemm.VertebraCocoDataset', data_root=six,
              ann_file=str(tmp_path / 'o' / 'train.json'),
              data_prefix=dict(img=''), pipeline=[])
    plain = DATASETS.build(kw)
    over = DATASETS.build(dict(kw, oversample=dict(key='hardware', times=3)))
    n_hw = sum(im['hardware'] for im in coco['train']['images'])
    assert n_hw > 0
    assert len(over) == len(plain) + 2 * n_hw


def test_photometric_recipe():
    img = (np.arange(64 * 64) % 200).reshape(64, 64).astype(np.uint8) + 20
    rng = np.random.default_rng(0)
    counts = []
    for _ in range(200):
        _, ops = spinetk_photometric(img, rng)
        assert len(set(ops)) == len(ops) <= 5
        counts.append(len(ops))
    assert set(counts) == set(range(6))  # 0..5 operations
    a, b = spinetk_photometric(img, np.random.default_rng(3))
    c, d = spinetk_photometric(img, np.random.default_rng(3))
    np.testing.assert_array_equal(a, c)
    assert b == d
    shifted = add(img, np.random.default_rng(1))
    delta = int(shifted[0, 0]) - int(img[0, 0])
    assert -10 <= delta <= 10 and (shifted.astype(int) - img == delta).all()
    low = linear_contrast(img, np.random.default_rng(5))
    assert low.dtype == np.uint8 and len(OPERATIONS) == 5


def test_photometric_transform_leaves_geometry(spinetk):
    from spinemm.det.transforms import SpineTKPhotometric
    rng = np.random.default_rng(0)
    kp = rng.uniform(0, 32, (2, 6, 3))
    img = rng.integers(30, 220, (32, 32, 3)).astype(np.uint8)
    changed = 0
    for seed in range(8):
        r = dict(img=img.copy(), gt_keypoints=kp.copy(),
                 gt_bboxes=np.array([[1.0, 2.0, 20.0, 30.0]]))
        out = SpineTKPhotometric(seed=seed)(r)
        # intensities only: the points and boxes stay where they were
        np.testing.assert_array_equal(out['gt_keypoints'], kp)
        np.testing.assert_array_equal(out['gt_bboxes'], [[1, 2, 20, 30]])
        assert out['img'].shape == img.shape and out['img'].dtype == np.uint8
        changed += not np.array_equal(out['img'], img)
    assert changed >= 4  # the recipe does change the pixels
    with pytest.raises(TypeError, match='uint8'):
        SpineTKPhotometric(seed=0)(dict(img=np.zeros((4, 4), np.float32)))


def test_cli_make_phantoms_then_spinetk2coco(tmp_path):
    """The two CLIs in a row, checked against the per-image SpineTK json read
    as plain json: every source and augmented image lands in exactly one
    split with its keypoints and its box; the stratified split keeps each
    case whole; the images the json names exist."""
    import glob
    import sys

    from conftest import ok, run_tool
    root = tmp_path / 'stk'
    out = ok(run_tool([sys.executable, 'tools/misc/make_phantoms.py',
                       str(root), '--kind', 'spinetk', '--num-images', '6',
                       '--seed', '4']))
    assert 'ready' in out
    ok(run_tool([sys.executable, 'tools/dataset_converters/spinetk2coco.py',
                 str(root), str(root / 'coco'), '--strat-var', 'hardware',
                 '--seed', '100']))
    raw = {}
    for f in glob.glob(str(root / '*' / '*' / '*' / '*.json')):
        rec = json.load(open(f))
        raw[rec['file_name']] = rec
    cases = {osp.basename(c) for c in glob.glob(str(root / '*'))
             if osp.isdir(c) and osp.basename(c) != 'coco'}
    assert len(cases) == 6 and len(raw) > 6
    seen, case_split = {}, {}
    for split in ('train', 'val', 'test'):
        coco = json.load(open(root / 'coco' / f'{split}.json'))
        for img in coco['images']:
            name = img['file_name']
            assert name not in seen and (root / name).is_file()
            seen[name] = split
            case = name.split('/')[0]
            assert case_split.setdefault(case, split) == split
            if split != 'train':
                assert '/src/' in name
            anns = sorted((a for a in coco['annotations']
                           if a['image_id'] == img['id']),
                          key=lambda a: a['bbox'][1])
            want = sorted(raw[name]['annotations'], key=lambda a: a['bbox'][1])
            assert len(anns) == len(want) > 0
            for a, w in zip(anns, want):
                np.testing.assert_allclose(a['keypoints'], w['keypoints'],
                                           atol=1e-3)
                x1, y1, x2, y2 = w['bbox']  # SpineTK: XYXY (bbox_mode 0)
                np.testing.assert_allclose(a['bbox'], [x1, y1, x2 - x1,
                                                       y2 - y1], atol=1e-3)
    assert set(case_split) == cases
    # every source image; augmented ones of training cases only
    assert set(seen) == {n for n in raw if '/src/' in n or
                         case_split[n.split('/')[0]] == 'train'}
    assert set(case_split.values()) == {'train', 'val', 'test'}
