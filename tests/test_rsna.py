import csv
import os
import os.path as osp

import numpy as np
import pytest

from spinemm.formats.rsna import (RSNA_VERTEBRAE, load_study,
                                  read_bounding_boxes, read_train_csv,
                                  slice_numbers, slice_truth)
from spinemm.io import read_nifti, reorient
from spinemm.phantoms import write_rsna_phantoms


@pytest.fixture(scope='module')
def rsna(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('rsna') / 'rsna')
    truth = write_rsna_phantoms(root, num_studies=2, seed=4,
                                fracture_prob=0.5, reversed_every=2,
                                progress=False)
    return root, truth


def test_train_csv_matches_truth(rsna):
    root, truth = rsna
    labels = read_train_csv(osp.join(root, 'train.csv'))
    assert set(labels) == set(truth)
    for uid, verts in truth.items():
        grades = {v['level']: v['genant_grade'] for v in verts}
        for c in RSNA_VERTEBRAE:
            assert labels[uid][c] == int(grades[c] > 0)
        assert labels[uid]['patient_overall'] == int(
            any(labels[uid][c] for c in RSNA_VERTEBRAE))


def test_segmentation_aligns_to_the_axial_series_by_position(rsna):
    root, truth = rsna
    for uid in truth:
        series, labels = load_study(root, uid)
        # the segmentation is stored sagittally, in another axis order
        seg = read_nifti(osp.join(root, 'segmentations', f'{uid}.nii'))
        assert seg.orientation == ('P', 'I', 'R')
        assert series.orientation == labels.orientation == ('L', 'P', 'S')
        expected = reorient(seg, ('L', 'P', 'S')).data
        np.testing.assert_array_equal(labels.data, expected)
        # bone where the labels are: HU decoded through the rescale
        assert np.median(series.data[labels.data > 0]) > 150


def test_slice_truth_and_boxes(rsna):
    root, truth = rsna
    boxes = read_bounding_boxes(osp.join(root, 'train_bounding_boxes.csv'))
    reversed_seen = set()
    for uid, verts in truth.items():
        series, labels = load_study(root, uid)
        ratios, cbox = slice_truth(labels)
        assert ratios.shape == (series.data.shape[2], 7)
        assert np.allclose(ratios.max(0), 1.0)
        for v in range(7):  # each vertebra is seen on one run of slices
            seen = np.nonzero(ratios[:, v] > 0)[0]
            assert (np.diff(seen) == 1).all()
        # series order is inferior -> superior: C1 on higher slices than C7
        assert np.argmax(ratios[:, 0]) > np.argmax(ratios[:, 6])
        numbers = slice_numbers(series)
        reversed_seen.add(numbers[0] < numbers[-1])
        for number, x, y, w, h in boxes.get(uid, []):
            k = numbers.index(number)
            # a fracture box lies on a slice showing C1-C7, inside their box
            assert ratios[k].max() > 0
            bx, by, bw, bh = cbox[k]
            assert bx <= x and by <= y and x + w <= bx + bw + 1e-6
        fractured = [v['level'] for v in verts
                     if v['genant_grade'] and v['level'] in RSNA_VERTEBRAE]
        assert bool(boxes.get(uid)) == bool(fractured)
    assert reversed_seen == {True, False}, 'both slice numberings written'


def test_missing_columns_are_named(tmp_path):
    bad = tmp_path / 'train.csv'
    bad.write_text('StudyInstanceUID,C1\n1.2,0\n')
    with pytest.raises(ValueError, match='patient_overall'):
        read_train_csv(str(bad))


def test_reverse_detection_and_sequences(rsna):
    from spinemm.formats.rsna import is_reversed, vertebra_sequences
    root, truth = rsna
    flags = []
    for uid in truth:
        series, labels = load_study(root, uid)
        flags.append(is_reversed(series))
        ratios, _ = slice_truth(labels)
        seqs = vertebra_sequences(ratios, num_slices=24)
        for v, seq in enumerate(seqs):
            assert len(seq) == 24 and (np.diff(seq) >= 0).all()
            assert (ratios[seq, v] > 0).all()  # every pick shows the vertebra
    assert sorted(flags) == [False, True]


def test_folds_are_stratified_seeded_and_drop_relabelled():
    from spinemm.formats.rsna import assign_folds
    rng = np.random.default_rng(0)
    labels = {}
    for i in range(200):
        c = (rng.random(7) < [0.07, 0.14, 0.04, 0.05, 0.08, 0.14, 0.2]).astype(int)
        labels[f'1.2.{i}'] = dict(patient_overall=int(c.any()),
                                  **{f'C{j + 1}': int(c[j]) for j in range(7)})
    folds = assign_folds(labels, n_folds=5, seed=1, drop=['1.2.0'])
    assert '1.2.0' not in folds and len(folds) == 199
    assert folds == assign_folds(labels, n_folds=5, seed=1, drop=['1.2.0'])
    sizes = np.bincount(list(folds.values()))
    assert sizes.min() >= 38 and sizes.max() <= 41
    # each fold's positive rate stays near the overall one
    pos = np.array([labels[u]['patient_overall'] for u in folds])
    fold = np.array(list(folds.values()))
    overall = pos.mean()
    for f in range(5):
        assert abs(pos[fold == f].mean() - overall) < 0.05


@pytest.fixture(scope='module')
def prepared(rsna, tmp_path_factory):
    from spinemm.formats.rsna_prepare import prepare_rsna
    root, truth = rsna
    out = str(tmp_path_factory.mktemp('prepared'))
    summary = prepare_rsna(root, out, n_folds=2, seed=0, progress=False)
    return root, out, truth, summary


def test_prepare_writes_folds_and_slice_ratios(prepared):
    import csv

    from spinemm.formats.rsna_prepare import read_folds, read_slice_ratios
    root, out, truth, summary = prepared
    assert summary == dict(studies=2, with_segmentation=2, reversed=1,
                           dropped=0, without_images=[], unlabelled=[],
                           misaligned=[])
    folds = read_folds(osp.join(out, 'train_folds.csv'))
    labels = read_train_csv(osp.join(root, 'train.csv'))
    assert set(folds) == set(truth)
    for uid, row in folds.items():
        assert {k: row[k] for k in labels[uid]} == labels[uid]
        assert row['fold'] in (0, 1) and row['has_segmentation'] == 1
    ratios = read_slice_ratios(osp.join(out, 'slice_ratios.csv'))
    for uid in truth:
        series, seg = load_study(root, uid)
        want, _ = slice_truth(seg)
        numbers, got = ratios[uid]
        # rows run head -> foot: the reverse of the series order
        assert numbers.tolist() == slice_numbers(series)[::-1]
        np.testing.assert_allclose(got, want[::-1], atol=5e-5)
    with open(osp.join(out, 'slice_ratios.csv')) as f:
        assert next(csv.reader(f))[-4:] == ['x', 'y', 'width', 'height']


def test_study_dataset_reads_labels_slices_and_boxes(prepared):
    from spinemm.fracture import RsnaStudyDataset
    from spinemm.formats.rsna_prepare import read_folds, read_slice_ratios
    root, out, truth, _ = prepared
    folds = read_folds(osp.join(out, 'train_folds.csv'))
    fold0 = [u for u, r in folds.items() if r['fold'] == 0]
    pipeline = [dict(type='spinemm.LoadRsnaSequences', crop_size=24),
                dict(type='spinemm.PackRsnaStudy')]
    ds = RsnaStudyDataset(data_root=root, prepared_dir=out, folds=[0],
                          num_slices=8, pipeline=pipeline)
    assert len(ds) == len(fold0) and not ds.unseen
    info = ds.get_data_info(0)
    assert 'img' not in info  # metadata only: the pipeline loads pixels
    grade = {v['level']: v['genant_grade'] for v in truth[info['uid']]}
    want = [int(any(grade[c] for c in RSNA_VERTEBRAE))] + \
        [int(grade[c] > 0) for c in RSNA_VERTEBRAE]
    assert info['gt_labels'].tolist() == want
    numbers, ratios = read_slice_ratios(osp.join(out, 'slice_ratios.csv'))[
        info['uid']]
    for v, seq in enumerate(info['sequences']):
        assert len(seq) == 8
        rows = [numbers.tolist().index(n) for n in seq]
        assert (ratios[rows, v] > 0.5).all()  # each pick shows its vertebra
    item = ds[0]
    assert item['inputs'].shape == (7, 8, 1, 24, 24)
    assert item['data_samples']['valid'].tolist() == [1.0] * 7
    # crops are of bone: brighter than the whole slice on average
    assert float(item['inputs'].mean()) > 0.2


def test_predicted_ratio_file_and_unseen_vertebrae(prepared, tmp_path):
    from spinemm.fracture import RsnaSliceDataset, RsnaStudyDataset
    root, out, truth, _ = prepared
    with open(osp.join(out, 'slice_ratios.csv')) as f:
        rows = list(csv.DictReader(f))
    pred = tmp_path / 'pred.csv'
    with open(pred, 'w', newline='') as f:  # a model that never sees C7
        w = csv.DictWriter(f, ['StudyInstanceUID', 'slice_number'] +
                           list(RSNA_VERTEBRAE))
        w.writeheader()
        for r in rows:
            w.writerow(dict({k: r[k] for k in w.fieldnames}, C7='0'))
    with pytest.warns(UserWarning, match=r'2 vertebra\(e\) never above '
                      r'ratio 0.5 \(e.g. .* C7'):
        ds = RsnaStudyDataset(data_root=root, prepared_dir=out,
                              ratio_file=str(pred), num_slices=4)
    assert len(ds) == len(truth)
    assert sorted(v for _, v in ds.unseen) == ['C7'] * len(truth)
    assert ds.get_data_info(0)['valid'].tolist() == [1.0] * 6 + [0.0]
    slices = RsnaSliceDataset(data_root=root, prepared_dir=out, folds=[1])
    info = slices.get_data_info(0)
    assert info['gt_ratios'].shape == (7, ) and len(info['context_numbers']) == 3
    boxed = [slices.get_data_info(i) for i in range(len(slices))]
    assert any(np.isfinite(b['gt_box']).all() for b in boxed)
    # a ratio file that lacks a study of the folds is refused, naming it
    short = tmp_path / 'short.csv'
    keep = sorted(truth)[0]
    with open(short, 'w', newline='') as f:
        w = csv.DictWriter(f, ['StudyInstanceUID', 'slice_number'] +
                           list(RSNA_VERTEBRAE))
        w.writeheader()
        for r in rows:
            if r['StudyInstanceUID'] == keep:
                w.writerow({k: r[k] for k in w.fieldnames})
    missing = sorted(truth)[1]
    with pytest.raises(ValueError, match=f'no slice ratios for 1 study.*'
                       f'{missing}.*fracture_stage1_infer'):
        RsnaStudyDataset(data_root=root, prepared_dir=out,
                         ratio_file=str(short))


def test_prepare_tool_and_drop_list(rsna, tmp_path):
    from conftest import run_tool
    root, truth = rsna
    drop = tmp_path / 'relabel.txt'
    drop.write_text(f'# mislabelled\n{sorted(truth)[0]}\n')
    proc = run_tool(['python', 'tools/dataset_converters/rsna_prepare.py',
                     root, '--out', str(tmp_path), '--folds', '2'])
    assert proc.returncode == 0, proc.stderr
    assert '2 studies in 2 folds (0 dropped), 2 with segmentation, 1 in ' \
        'reverse slice order' in proc.stdout
    proc = run_tool(['python', 'tools/dataset_converters/rsna_prepare.py',
                     root, '--out', str(tmp_path), '--folds', '2', '--drop',
                     str(drop)])
    assert proc.returncode != 0
    assert '2 folds need at least 2 studies; 1 left after dropping 1' in \
        proc.stderr
    bad = tmp_path / 'bad.txt'
    bad.write_text('1.2.3.unknown\n')
    proc = run_tool(['python', 'tools/dataset_converters/rsna_prepare.py',
                     root, '--out', str(tmp_path), '--drop', str(bad)])
    assert proc.returncode != 0 and '1.2.3.unknown' in proc.stderr


def test_rsna_base_config_selects_folds(prepared):
    from mmengine.config import Config

    from conftest import ROOT
    from spinemm.registry import DATASETS
    root, out, truth, _ = prepared
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets',
                                   'rsna_study.py'))
    assert cfg.train_dataloader.dataset.folds == [1, 2, 3, 4]
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'spinemm'))
    sizes = []
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        ds = DATASETS.build(dict(loader.dataset, data_root=root,
                                 prepared_dir=out))
        sizes.append(len(ds))
    assert sum(sizes) == len(truth)  # both folds of 2, no overlap


@pytest.mark.parametrize('row, message', [
    ('1.2.9,1,0,2,0,0,0,0,0', r"line 2 \(study 1.2.9\): labels must be 0 or "
     r"1, found \{'C2': '2'\}"),
    ('1.2.9,0,0,1,0,0,0,0,0', 'patient_overall is 0 but C1-C7 say 1'),
    ('1.2.9,1,,1,0,0,0,0,0', "found {'C1': ''}"),
])
def test_train_csv_values_are_checked(tmp_path, row, message):
    bad = tmp_path / 'train.csv'
    bad.write_text(','.join(('StudyInstanceUID', 'patient_overall') +
                            RSNA_VERTEBRAE) + '\n' + row + '\n')
    with pytest.raises(ValueError, match=message):
        read_train_csv(str(bad))


def test_prepare_reads_headers_only_and_names_left_out_studies(rsna,
                                                              tmp_path):
    """A slice whose pixel data is corrupt does not stop preparation
    (headers are enough); studies without images or labels are named."""
    import shutil

    import pydicom

    from spinemm.formats.rsna_prepare import prepare_rsna
    from spinemm.io import read_dicom_series
    root, truth = rsna
    copy = tmp_path / 'rsna'
    shutil.copytree(root, copy)
    uid = sorted(truth)[0]
    folder = copy / 'train_images' / uid
    victim = sorted(folder.iterdir())[3]
    ds = pydicom.dcmread(victim)
    ds.PixelData = ds.PixelData[:10]  # truncated pixels, headers intact
    ds.save_as(victim)
    with pytest.raises(Exception, match='cannot decode pixel data'):
        read_dicom_series(str(folder))
    shutil.copytree(copy / 'train_images' / sorted(truth)[1],
                    copy / 'train_images' / '1.2.3.unlabelled')
    with open(copy / 'train.csv', 'a') as f:
        f.write('1.2.3.noimages,0,0,0,0,0,0,0,0\n')
    out = tmp_path / 'prepared'
    with pytest.warns(UserWarning, match='1.2.3.noimages'):
        s = prepare_rsna(str(copy), str(out), n_folds=2, progress=False)
    assert s['studies'] == 2 and s['with_segmentation'] == 2
    assert s['without_images'] == ['1.2.3.noimages']
    assert s['unlabelled'] == ['1.2.3.unlabelled']


def test_prepare_refuses_a_segmentation_off_the_bone(rsna, tmp_path):
    """A segmentation whose affine is wrong (shifted 40 mm) lands on soft
    tissue and air: it is named and not used for slice targets."""
    import shutil

    import nibabel as nib

    from spinemm.formats.rsna_prepare import prepare_rsna, read_folds
    root, truth = rsna
    copy = tmp_path / 'rsna'
    shutil.copytree(root, copy)
    uid = sorted(truth)[0]
    path = copy / 'segmentations' / f'{uid}.nii'
    img = nib.load(path)
    data, affine = np.array(img.dataobj), img.affine.copy()
    del img  # its data is memory-mapped from the file rewritten below
    affine[:3, 3] += [40.0, 0.0, 0.0]
    os.remove(path)
    nib.save(nib.Nifti1Image(data, affine), path)
    out = tmp_path / 'prepared'
    with pytest.warns(UserWarning, match=f'do not lie on bone.*{uid}'):
        s = prepare_rsna(str(copy), str(out), n_folds=2, progress=False)
    assert s['misaligned'] == [uid] and s['with_segmentation'] == 1
    assert read_folds(str(out / 'train_folds.csv'))[uid][
        'has_segmentation'] == 0
