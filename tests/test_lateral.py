"""Real lateral full-spine films (issue 26): the reader, the COCO converter,
the lateral 4-corner scheme and the measurements (heights, wedge and disc
heights, sagittal alignment, Genant on real columns), each measurement
against an independent computation on the truth corners."""
import json

import os.path as osp
import shutil

import numpy as np
import pytest

from conftest import ROOT, run_tool

LATERAL = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real',
                   'lateral_fullspine')
needs_lateral = pytest.mark.skipif(not osp.isdir(LATERAL),
                                   reason='../shared/data/real is absent')


@pytest.fixture(scope='module')
def films():
    if not osp.isdir(LATERAL):
        pytest.skip('../shared/data/real is absent')
    from spinemm.formats.lateral_fullspine import read_lateral_fullspine
    return read_lateral_fullspine(LATERAL)


def _angle_between(u, v):
    """Unsigned angle (degrees) between two 2D vectors, by the dot
    product: independent of the arctan2 differences of the package."""
    u, v = np.asarray(u, float), np.asarray(v, float)
    c = np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v)
    return float(np.degrees(np.arccos(np.clip(c, -1, 1))))


def _signed(u, v):
    """Angle from u to v, sign from the 2D cross product (counter-clockwise
    positive in a y-up frame)."""
    cross = u[0] * v[1] - u[1] * v[0]
    return _angle_between(u, v) * (1 if cross >= 0 else -1)


@needs_lateral
def test_the_reader_loads_all_28_real_films(films):
    from spinemm.formats.lateral_fullspine import LATERAL_LEVELS, POINT_NAMES
    assert len(films) == 28 and len(POINT_NAMES) == 92
    raw = json.load(open(osp.join(LATERAL, 'annotations.json')))
    assert tuple(raw['categories'][0]['keypoints']) == POINT_NAMES
    for f in films:
        assert f['levels'] == list(LATERAL_LEVELS) and not f['partial']
        pts = np.concatenate([c[np.isfinite(c).all(1)]
                              for c in f['column'].values()])
        assert len(pts) == 92
        assert (pts >= 0).all() and (pts[:, 0] <= f['width']).all() and \
            (pts[:, 1] <= f['height']).all()
        # C2 has its inferior endplate only, S1 its superior one
        assert np.isnan(f['column']['C2'][:2]).all()
        assert np.isfinite(f['column']['C2'][2:]).all()
        assert np.isfinite(f['column']['S1'][:2]).all()
        # the patient faces image-right: anterior corners at larger x
        c = np.stack([f['column'][lv] for lv in LATERAL_LEVELS])
        assert (c[:, [1, 3], 0].mean() > c[:, [0, 2], 0].mean())
        # superior endplates above inferior ones
        assert (c[:, :2, 1].mean(1) < c[:, 2:, 1].mean(1)).all()


@needs_lateral
def test_the_converter_writes_coco_that_pycocotools_reads(films, tmp_path):
    from pycocotools.coco import COCO

    from spinemm.formats.lateral_fullspine import film_folds
    out = tmp_path / 'coco'
    proc = run_tool(['python', 'tools/dataset_converters/lateral2coco.py',
                     LATERAL, str(out)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'train 21 films, val 7' in proc.stdout
    folds = film_folds(films)
    assert sorted(folds.values()) == sorted([0] * 7 + [1] * 7 + [2] * 7 +
                                            [3] * 7)
    assert film_folds(films) == folds  # fixed
    by_name = {f['name']: f for f in films}
    n = 0
    for split in ('train', 'val'):
        coco = COCO(str(out / 'annotations' / f'{split}.json'))
        for img in coco.loadImgs(coco.getImgIds()):
            assert (folds[img['file_name']] == 0) == (split == 'val')
            anns = coco.loadAnns(coco.getAnnIds(imgIds=[img['id']]))
            film = by_name[img['file_name']]
            assert [a['level'] for a in anns] == ['C2'] + film['levels'] + [
                'S1']
            # C2 and S1: their own classes, the annotated endplate visible,
            # the box reaching across the body from it (C3's / L5's height)
            for a, lv, vis in ((anns[0], 'C2', [0, 0, 2, 2]),
                               (anns[-1], 'S1', [2, 2, 0, 0])):
                assert coco.loadCats(a['category_id'])[0]['name'] == lv
                k = np.array(a['keypoints']).reshape(4, 3)
                assert k[:, 2].tolist() == vis
                end = film['column'][lv][k[:, 2] > 0]
                np.testing.assert_allclose(k[k[:, 2] > 0, :2], end,
                                           atol=0.01)
                nb = film['column']['C3' if lv == 'C2' else 'L5']
                height = np.linalg.norm(nb[2:].mean(0) - nb[:2].mean(0))
                poly = np.array(a['segmentation'][0]).reshape(4, 2)
                np.testing.assert_allclose(poly[:2], end, atol=0.01)
                side = poly[2:] - poly[1::-1]
                # the body's far side: one neighbour height away, unless
                # the film ends first (the polygon is clipped to the film)
                length = np.linalg.norm(side, axis=1)
                clipped = np.isin(poly[2:, 1], [0.0, img['height']])
                assert np.allclose(length[~clipped], height, rtol=0.02)
                assert (length[clipped] < height).all()
                x, y, w, h = a['bbox']
                assert clipped.any() or (
                    y < end[:, 1].min() - 0.5 * height if lv == 'C2' else
                    y + h > end[:, 1].max() + 0.4 * height)
            anns = anns[1:-1]
            for a in anns:
                c = by_name[img['file_name']]['column'][a['level']]
                k = np.array(a['keypoints']).reshape(4, 3)
                np.testing.assert_allclose(k[:, :2], c, atol=0.01)
                x, y, w, h = a['bbox']
                np.testing.assert_allclose([x, y, x + w, y + h],
                                           [*c.min(0), *c.max(0)],
                                           atol=1e-6)
                # the mask is the body's outline: its shoelace area
                q = c[[0, 1, 3, 2]]
                area = 0.5 * abs(np.dot(q[:, 0], np.roll(q[:, 1], 1)) -
                                 np.dot(q[:, 1], np.roll(q[:, 0], 1)))
                perimeter = np.linalg.norm(q - np.roll(q, 1, 0), axis=1).sum()
                assert abs(coco.annToMask(a).sum() - area) < perimeter
                n += 1
        spine = COCO(str(out / 'annotations' / f'{split}_spine.json'))
        for a in spine.loadAnns(spine.getAnnIds()):
            assert a['num_keypoints'] == 92
    assert n == 28 * 22


@needs_lateral
def test_a_lumbar_only_film_gives_its_levels_and_hides_the_rest(tmp_path):
    """A film annotating T12-S1 only: instances for T12..L5, and the column
    above T12 (visible, not annotated) is an iscrowd region, not
    background."""
    from spinemm.formats.lateral_fullspine import (POINT_NAMES,
                                                   lateral_to_coco,
                                                   read_lateral_fullspine)
    root = tmp_path / 'lumbar'
    (root / 'images').mkdir(parents=True)
    raw = json.load(open(osp.join(LATERAL, 'annotations.json')))
    im = raw['images'][0]
    ann = next(a for a in raw['annotations'] if a['image_id'] == im['id'])
    shutil.copy(osp.join(LATERAL, 'images', im['file_name']),
                root / 'images' / im['file_name'])
    keep = POINT_NAMES.index('T12TB')
    k = np.array(ann['keypoints'], float).reshape(-1, 3)
    k[:keep] = 0
    ann = dict(ann, keypoints=k.reshape(-1).tolist(),
               num_keypoints=int((k[:, 2] > 0).sum()))
    json.dump(dict(raw, images=[im], annotations=[ann]),
              open(root / 'annotations.json', 'w'))
    films = read_lateral_fullspine(str(root))
    assert films[0]['levels'] == ['T12', 'L1', 'L2', 'L3', 'L4', 'L5']
    lateral_to_coco(str(root), str(tmp_path / 'coco'), n_folds=1,
                    films=films)
    coco = json.load(open(tmp_path / 'coco' / 'annotations' / 'val.json'))
    levels = [a['level'] for a in coco['annotations']]
    assert levels == ['T12', 'L1', 'L2', 'L3', 'L4', 'L5', 'S1',
                      'unannotated']
    crowd = coco['annotations'][-1]
    assert crowd['iscrowd'] == 1 and crowd['bbox'][1] == 0.0
    top_t12 = np.nanmin(films[0]['column']['T12'][:, 1])
    assert crowd['bbox'][3] == pytest.approx(top_t12)


def test_bad_lateral_files_are_named(tmp_path):
    from spinemm.formats.lateral_fullspine import (POINT_NAMES,
                                                   read_lateral_fullspine)
    import cv2
    root = tmp_path / 'bad'
    (root / 'images').mkdir(parents=True)
    cv2.imwrite(str(root / 'images' / 'a.png'),
                np.zeros((300, 100), np.uint8))
    pts = []
    for i in range(92):
        pts += [50.0, 10.0 + 3 * i, 2]
    base = dict(images=[dict(id=1, file_name='a.png', width=100,
                             height=300)],
                categories=[dict(id=1, name='full',
                                 keypoints=list(POINT_NAMES))])

    def write(**kw):
        d = dict(base, annotations=[dict(id=1, image_id=1, category_id=1,
                                         keypoints=kw.get('pts', pts))])
        d.update({k: v for k, v in kw.items() if k != 'pts'})
        json.dump(d, open(root / 'annotations.json', 'w'))

    write()
    assert len(read_lateral_fullspine(str(root))) == 1
    write(pts=pts[:-3])
    with pytest.raises(ValueError, match='a.png has 91 points, not 92'):
        read_lateral_fullspine(str(root))
    bad = list(pts)
    bad[0] = 400.0
    write(pts=bad)
    with pytest.raises(ValueError, match=r"a.png: point\(s\) \['C2BB'\] lie "
                       'outside the 100x300 film'):
        read_lateral_fullspine(str(root))
    write(images=[dict(id=1, file_name='b.png', width=100, height=300)])
    with pytest.raises(FileNotFoundError, match='b.png'):
        read_lateral_fullspine(str(root))
    write(categories=[dict(id=1, name='full', keypoints=list(
        POINT_NAMES[:90]))])
    with pytest.raises(ValueError, match='names 90 points, not the 92'):
        read_lateral_fullspine(str(root))


def test_the_lateral_scheme_keeps_names_under_a_flip():
    from spinemm.anatomy import (KEYPOINT_NAMES, LATERAL4_KEYPOINT_NAMES,
                                 lateral4_to_six)
    from spinemm.morphometry.sagittal import (sagittal_alignment,
                                              vertebra_measurements)
    assert LATERAL4_KEYPOINT_NAMES == ('superior_posterior',
                                       'superior_anterior',
                                       'inferior_posterior',
                                       'inferior_anterior')
    # facing right: posterior at small x
    c = np.array([[10, 0], [40, 2], [12, 30], [41, 28]], float)
    six = dict(zip(KEYPOINT_NAMES, lateral4_to_six(c)))
    np.testing.assert_allclose(six['top_left'], c[1])  # superior anterior
    np.testing.assert_allclose(six['bottom_right'], c[2])
    np.testing.assert_allclose(six['top_middle'], (c[0] + c[1]) / 2)
    col = {'L1': c, 'L2': c + [0, 40]}
    flipped = {k: np.stack([100 - v[:, 0], v[:, 1]], 1)
               for k, v in col.items()}  # names kept, points moved
    assert vertebra_measurements(col) == vertebra_measurements(flipped)
    a, b = sagittal_alignment(col), sagittal_alignment(flipped)
    for k in a:
        assert (a[k] is None and b[k] is None) or \
            np.isclose(a[k], b[k], equal_nan=True), k


def _endplate(y, deg, x0=0.0, length=40.0):
    """(posterior, anterior) corners of an endplate at height ``y`` (image
    rows, y down), rising ``deg`` degrees towards anterior (+x)."""
    t = np.radians(deg)
    p = np.array([x0, y])
    return p, p + length * np.array([np.cos(t), -np.sin(t)])


def test_angles_of_a_column_built_with_known_endplates():
    from spinemm.morphometry.sagittal import (disc_heights,
                                              sagittal_alignment,
                                              vertebra_measurements)
    tilt = {'C2': (None, 12.0), 'C7': (-3.0, -5.0), 'T1': (-20.0, -18.0),
            'T4': (-25.0, -22.0), 'T12': (10.0, 14.0), 'L1': (15.0, 13.0),
            'S1': (-35.0, None)}
    col, y = {}, 100.0
    for lv, (sup, inf) in tilt.items():
        c = np.full((4, 2), np.nan)
        if sup is not None:
            c[0], c[1] = _endplate(y, sup)
        if inf is not None:
            c[2], c[3] = _endplate(y + 30, inf)
        col[lv] = c
        y += 40
    s = sagittal_alignment(col, spacing=0.5)
    assert s['cervical_lordosis_C2_C7'] == pytest.approx(12 - (-5))
    assert s['thoracic_kyphosis_T4_T12'] == pytest.approx(14 - (-25))
    assert s['thoracic_kyphosis_T1_T12'] == pytest.approx(14 - (-20))
    assert s['lumbar_lordosis_L1_S1'] == pytest.approx(15 - (-35))
    assert s['T1_slope'] == pytest.approx(20.0)
    c7 = np.nanmean(col['C7'], 0)[0]
    assert s['SVA_C7_S1_px'] == pytest.approx(c7 - col['S1'][0, 0])
    assert s['SVA_C7_S1_mm'] == pytest.approx(0.5 * s['SVA_C7_S1_px'])
    rows = {r['level']: r for r in vertebra_measurements(col)}
    assert set(rows) == {'C7', 'T1', 'T4', 'T12', 'L1'}
    assert rows['T12']['wedge_deg'] == pytest.approx(4.0)
    assert rows['L1']['wedge_deg'] == pytest.approx(-2.0)
    discs = [(d['upper'], d['lower']) for d in disc_heights(col)]
    assert discs == [('C7', 'T1'), ('T12', 'L1')]  # adjacent pairs only


@needs_lateral
def test_measurements_equal_an_independent_computation_on_real_films(
        films):
    from spinemm.morphometry.sagittal import (disc_heights,
                                              sagittal_alignment,
                                              vertebra_measurements)
    for f in films:
        col = f['column']
        # the patient frame by hand: films face right, so only y flips
        up = {lv: np.stack([c[:, 0], -c[:, 1]], 1) for lv, c in col.items()}

        def plate(lv, which):
            c = up[lv]
            return c[1] - c[0] if which == 'sup' else c[3] - c[2]
        s = sagittal_alignment(col)
        want = dict(
            cervical_lordosis_C2_C7=_signed(plate('C7', 'inf'),
                                            plate('C2', 'inf')),
            thoracic_kyphosis_T4_T12=_signed(plate('T4', 'sup'),
                                             plate('T12', 'inf')),
            thoracic_kyphosis_T1_T12=_signed(plate('T1', 'sup'),
                                             plate('T12', 'inf')),
            lumbar_lordosis_L1_S1=_signed(plate('S1', 'sup'),
                                          plate('L1', 'sup')),
            T1_slope=_signed(plate('T1', 'sup'), np.array([1.0, 0.0])))
        for k, v in want.items():
            assert s[k] == pytest.approx(v, abs=1e-6), (f['name'], k)
        c7x = col['C7'][:, 0].mean()
        assert s['SVA_C7_S1_px'] == pytest.approx(c7x - col['S1'][0, 0])
        for r in vertebra_measurements(col):
            c = col[r['level']]
            assert r['anterior'] == pytest.approx(np.linalg.norm(c[1] - c[3]))
            assert r['posterior'] == pytest.approx(np.linalg.norm(c[0] -
                                                                  c[2]))
            assert r['middle'] == pytest.approx(np.linalg.norm(
                (c[0] + c[1]) / 2 - (c[2] + c[3]) / 2))
            assert abs(r['wedge_deg']) == pytest.approx(_angle_between(
                c[1] - c[0], c[3] - c[2]), abs=1e-6)
        d = disc_heights(col)
        assert len(d) == 23  # C2-C3 ... L5-S1
        for r in d:
            u, lo = col[r['upper']], col[r['lower']]
            assert r['anterior'] == pytest.approx(np.linalg.norm(u[3] -
                                                                 lo[1]))
            assert r['posterior'] == pytest.approx(np.linalg.norm(u[2] -
                                                                  lo[0]))


@needs_lateral
def test_genant_on_real_columns_grades_t4_to_l4_only(films):
    """On the 28 truth columns a neighbour-based grade calls 5 vertebrae
    grade >= 1 over C3-L5: L5 three times (wedged by nature), C6 once, T6
    once. Genant's method covers T4-L4; elsewhere spinemm says 'not
    graded'."""
    from collections import Counter

    from spinemm.anatomy import lateral4_to_six
    from spinemm.morphometry.genant import assess_column
    from spinemm.morphometry.sagittal import GRADED_LEVELS, genant_column
    every, graded = Counter(), Counter()
    for f in films:
        lv = f['levels']
        res = assess_column(lateral4_to_six(np.stack(
            [f['column'][x] for x in lv])), 1.0, levels=lv)
        every.update(m.level for m in res if m.grade)
        rows = genant_column(f['column'])
        assert [r['level'] for r in rows] == lv
        for r in rows:
            if r['level'] in GRADED_LEVELS:
                assert r['grade'] in (0, 1, 2, 3)
                graded.update([r['level']] if r['grade'] else [])
            else:
                assert r['grade'] == 'not graded'
    assert every == Counter({'L5': 3, 'C6': 1, 'T6': 1})
    assert graded == Counter({'T6': 1})
    assert GRADED_LEVELS[0] == 'T4' and GRADED_LEVELS[-1] == 'L4'

