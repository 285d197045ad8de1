"""Levels of a lateral column from its anchors (C2, S1), and the lateral
metrics, on the real films' truth columns."""
import numpy as np
import pytest

from conftest import LATERAL, needs_real

needs_lateral = needs_real


@pytest.fixture(scope='module')
def films():
    from spinemm.formats.lateral_fullspine import read_lateral_fullspine
    return read_lateral_fullspine(LATERAL)


def _detections(film, drop=(), anchors=('C2', 'S1'), jitter=0.0, seed=0):
    """The truth of a film as detector output: C3..L5 as 'vertebra', C2 and
    S1 with their annotated endplate (the other two corners made up), in a
    shuffled order, without the levels in ``drop``."""
    rng = np.random.RandomState(seed)
    labels, corners = [], []
    for lv in ['C2'] + film['levels'] + ['S1']:
        if lv in drop or (lv in ('C2', 'S1') and lv not in anchors):
            continue
        c = film['column'][lv].copy()
        if lv == 'C2':
            c[:2] = c[2:] - [0, 40]
        if lv == 'S1':
            c[2:] = c[:2] + [0, 40]
        labels.append(lv if lv in ('C2', 'S1') else 'vertebra')
        corners.append(c + rng.normal(0, jitter, c.shape))
    order = rng.permutation(len(labels))
    return (np.array(labels)[order], np.array(corners)[order],
            np.linspace(0.5, 1, len(labels))[order])


@needs_lateral
def test_every_vertebra_of_a_real_film_gets_its_level(films):
    from spinemm.morphometry.lateral_levels import lateral_levels
    for f in films:
        r = lateral_levels(*_detections(f, jitter=2.0))
        assert r['anchor'] == 'S1' and r['consistent'] is True
        assert sorted(r['column']) == sorted(['C2'] + f['levels'] + ['S1'])
        for lv in f['levels']:
            np.testing.assert_allclose(r['column'][lv], f['column'][lv],
                                       atol=10)
        # C2 / S1 keep only their annotated endplate
        assert np.isnan(r['column']['C2'][:2]).all()
        assert np.isnan(r['column']['S1'][2:]).all()


@needs_lateral
def test_levels_survive_missed_vertebrae_and_a_missing_anchor(films):
    """A vertebra missed inside the column is skipped, not shifted onto its
    neighbour; without S1 the levels are counted from C2, without C2 from
    S1; without either the column says it is a guess."""
    from spinemm.morphometry.lateral_levels import lateral_levels
    right = total = 0
    for f in films:
        for drop, anchors, want in ((('T6', ), ('C2', 'S1'), 'S1'),
                                    (('C5', 'L2'), ('C2', ), 'C2'),
                                    (('T10', ), ('S1', ), 'S1')):
            r = lateral_levels(*_detections(f, drop, anchors))
            assert r['anchor'] == want
            for lv in drop:
                assert lv not in r['column']
            got = [lv for lv in f['levels'] if lv not in drop]
            for lv in got:
                total += 1
                right += lv in r['column'] and np.allclose(
                    r['column'][lv], f['column'][lv])
    # measured: every one of 28 x 3 columns (1820 vertebrae) right
    assert right == total
    r = lateral_levels(*_detections(films[0], anchors=()))
    assert r['anchor'] is None and 'L5' in r['column']


def test_stray_detections_beyond_the_anchors_are_dropped():
    from spinemm.morphometry.lateral_levels import lateral_levels

    def box(y):
        return [[0, y], [30, y], [0, y + 20], [30, y + 20]]
    ys = [100 + 30 * i for i in range(22)]  # C3..L5, spacing 30
    labels = ['C2'] + ['vertebra'] * 24 + ['S1']
    corners = [box(ys[0] - 30)] + [box(y) for y in [ys[0] - 60] + ys +
                                   [ys[-1] + 60]] + [box(ys[-1] + 30)]
    r = lateral_levels(labels, np.array(corners, float), np.ones(26))
    assert r['consistent'] is True
    assert r['column']['C3'][0, 1] == ys[0]
    assert r['column']['L5'][0, 1] == ys[-1]
    assert len(r['column']) == 24  # the strays above C2 and below S1: gone
    with pytest.raises(ValueError, match='one each per detection'):
        lateral_levels(labels[:3], np.array(corners, float), np.ones(26))


@needs_lateral
def test_metrics_of_the_truth_and_of_a_level_shift(films):
    from spinemm.evaluation.lateral_metrics import film_metrics, summarize
    from spinemm.morphometry.lateral_levels import VERTEBRA_LEVELS
    f = films[0]
    same = film_metrics(f['column'], f['column'])
    assert same['num_found'] == same['num_true'] == 22
    assert same['num_level_right'] == 22 and max(same['corner_errors']) == 0
    assert same['C2']['found'] and same['S1']['error_px'] == 0
    for k, v in same['angles'].items():
        assert v['pred'] == pytest.approx(v['true'], nan_ok=True)
    assert same['genant']['levels'] == 13 and same['genant']['same'] == 13
    # every vertebra named one level too high: all found, none right, and
    # the angles read from the wrong endplates
    shifted = {VERTEBRA_LEVELS[VERTEBRA_LEVELS.index(lv) - 1]: c
               for lv, c in f['column'].items()
               if lv in VERTEBRA_LEVELS[1:]}
    m = film_metrics(shifted, f['column'])
    assert m['num_found'] == 21 and m['num_level_right'] == 0
    s = summarize([same, m], median_angles={'lumbar_lordosis_L1_S1': 50.0})
    assert s['vertebra_recall'] == pytest.approx(43 / 44)
    assert s['level_accuracy'] == pytest.approx(22 / 43)
    assert s['films_all_levels_right'] == 1
    true_ll = same['angles']['lumbar_lordosis_L1_S1']['true']
    assert s['MAE_lumbar_lordosis_L1_S1_median_floor'] == pytest.approx(
        abs(50.0 - true_ll))
    # vertebrae predicted beside the column are not found
    far = {lv: c + [300, 0] for lv, c in f['column'].items()}
    assert film_metrics(far, f['column'])['num_found'] == 0


@needs_lateral
def test_the_sagittal_report_of_a_real_column_round_trips(films, tmp_path):
    """The report written from a levelled real column: its JSON angles are
    sagittal_alignment's, its CSV has a row per level with the heights, and
    the picture is the film's size."""
    import csv
    import json

    import cv2

    from spinemm.apis.lateral import (measure_lateral, sagittal_report,
                                      write_sagittal_report)
    from spinemm.morphometry.lateral_levels import lateral_levels
    from spinemm.morphometry.sagittal import (sagittal_alignment,
                                              vertebra_measurements)
    f = films[3]
    image = cv2.imread(f['image'], cv2.IMREAD_GRAYSCALE)
    result = measure_lateral(lateral_levels(*_detections(f)), 0.2, (),
                             image.shape)
    report = sagittal_report(result, f['image'], 'test')
    write_sagittal_report(report, result, image, str(tmp_path), 'film')
    back = json.load(open(tmp_path / 'film.json'))
    truth = sagittal_alignment(f['column'], 0.2)
    for k in ('thoracic_kyphosis_T4_T12', 'lumbar_lordosis_L1_S1',
              'T1_slope', 'SVA_C7_S1_mm'):
        assert back['alignment'][k] == pytest.approx(truth[k], abs=1e-3)
    assert back['anchor'] == 'S1' and back['unit'] == 'mm'
    rows = list(csv.DictReader(open(tmp_path / 'film.csv')))
    assert [r['level'] for r in rows] == ['C2'] + f['levels'] + ['S1']
    heights = {m['level']: m for m in vertebra_measurements(f['column'],
                                                            0.2)}
    l1 = next(r for r in rows if r['level'] == 'L1')
    assert float(l1['anterior_height']) == pytest.approx(
        heights['L1']['anterior'], abs=1e-3)
    assert rows[0]['anterior_height'] == ''  # C2: one endplate, no height
    assert cv2.imread(str(tmp_path / 'film.png')).shape[:2] == image.shape


@needs_lateral
def test_angles_of_a_weak_t1_are_withheld_and_said_so(films, tmp_path):
    """A T1 found only weakly gives no T1 slope and no T1-T12 kyphosis: the
    report names them withheld with the reason, eval scores them missed,
    and the other angles stay sagittal_alignment's."""
    import json

    import cv2

    from spinemm.apis.lateral import (measure_lateral, sagittal_report,
                                      write_sagittal_report)
    from spinemm.evaluation.lateral_metrics import film_metrics
    from spinemm.morphometry.lateral_levels import lateral_levels
    from spinemm.morphometry.sagittal import sagittal_alignment
    f = films[3]
    image = cv2.imread(f['image'], cv2.IMREAD_GRAYSCALE)
    levelled = lateral_levels(*_detections(f))
    truth = sagittal_alignment(f['column'])
    strong = measure_lateral(dict(levelled, weak=['T2']), None, (),
                             image.shape)
    assert strong['alignment']['T1_slope'] == pytest.approx(truth['T1_slope'])
    assert strong['withheld'] == {}
    weak = measure_lateral(dict(levelled, weak=['T1', 'T2']), None, (),
                           image.shape)
    al = weak['alignment']
    assert al['T1_slope'] is None and al['thoracic_kyphosis_T1_T12'] is None
    assert al['thoracic_kyphosis_T4_T12'] == pytest.approx(
        truth['thoracic_kyphosis_T4_T12'])
    assert set(weak['withheld']) == {'T1_slope', 'thoracic_kyphosis_T1_T12'}
    report = sagittal_report(weak, f['image'], 'test')
    write_sagittal_report(report, weak, image, str(tmp_path), 'film')
    back = json.load(open(tmp_path / 'film.json'))
    assert back['alignment']['T1_slope'] is None
    assert 'T1' in back['alignment_withheld']['T1_slope']
    assert back['levels_weak'] == ['T1', 'T2']
    m = film_metrics(weak['column'], f['column'], weak['withheld'])
    assert np.isnan(m['angles']['T1_slope']['pred'])
    assert m['angles']['lumbar_lordosis_L1_S1']['pred'] == pytest.approx(
        truth['lumbar_lordosis_L1_S1'])


def test_a_gap_is_counted_from_vertebral_heights_not_neighbour_spacing():
    """Three vertebrae missed at the cervico-thoracic junction, the spacing
    above the gap larger than below (as cervical discs are): the gap is 3.4
    of the spacings below it, which a count from the neighbours' spacing
    reads as two. Counted from the vertebral heights (plus a disc) it holds
    three, C2 and S1 agree, and every level is right."""
    from spinemm.morphometry.lateral_levels import (VERTEBRA_LEVELS,
                                                    lateral_levels)

    def box(y):
        return [[0, y], [30, y], [0, y + 20], [30, y + 20]]
    cut = VERTEBRA_LEVELS.index('C7')
    y = {lv: 100.0 + 30 * k - (18 if k > cut else 0)
         for k, lv in enumerate(VERTEBRA_LEVELS)}
    missed = ('T1', 'T2', 'T3')
    kept = [lv for lv in VERTEBRA_LEVELS if lv not in missed]
    labels = ['C2'] + ['vertebra'] * len(kept) + ['S1']
    corners = [box(y['C3'] - 30)] + [box(y[lv]) for lv in kept] + \
        [box(y['L5'] + 30)]
    r = lateral_levels(labels, np.array(corners, float),
                       np.ones(len(labels)))
    assert r['consistent'] is True and r['anchor'] == 'S1'
    for lv in kept:
        assert r['column'][lv][0, 1] == y[lv], lv
    assert r['skipped'] == list(missed)


def test_report_sagittal_refuses_a_model_of_another_scheme(tiny_kpt,
                                                           tmp_path):
    """A 6-keypoint detector given to --view sagittal: a one-line error
    naming the config and the scheme, nothing written."""
    import os.path as osp

    import cv2

    from conftest import listed, run_tool
    cfg, ckpt = tiny_kpt
    film = tmp_path / 'film.png'
    cv2.imwrite(str(film), np.full((300, 120), 90, np.uint8))
    out = tmp_path / 'out'
    proc = run_tool(['python', 'tools/report.py', str(film), '--view',
                     'sagittal', '--det-config', cfg, '--det-checkpoint',
                     ckpt, '--out-dir', str(out)])
    assert proc.returncode != 0
    assert 'error:' in proc.stderr and 'Traceback' not in proc.stderr
    assert 'lateral 4-corner scheme' in proc.stderr and cfg in proc.stderr
    assert not osp.isdir(out) or listed(out) == []
