"""The RSNA 2022 score, the training loss that optimises it, and the
submission scoring tool."""
import csv
import math

import numpy as np
import pytest
import torch

from conftest import run_tool
from spinemm.fracture.scoring import (LABELS, fracture_report, roc_auc,
                                      weighted_log_loss)
from spinemm.fracture.submission import (SubmissionError, read_long_csv,
                                         score_files, write_long_csv)


def reference_score(y, p):
    """The Kaggle metric written out term by term (independent of the
    implementation: plain loops, the weights spelled out)."""
    total = 0.0
    for yi, pi in zip(y, p):
        num = den = 0.0
        for j in range(8):
            pos_w, neg_w = (14.0, 7.0) if j == 0 else (2.0, 1.0)
            q = min(max(pi[j], 1e-15), 1 - 1e-15)
            w = pos_w if yi[j] == 1 else neg_w
            num += w * -(math.log(q) if yi[j] == 1 else math.log(1 - q))
            den += w
        total += num / den
    return total / len(y)


def test_hand_made_cases():
    # p = 0.5 everywhere: every term is log 2 whatever the weights
    y = np.array([[1, 0, 1, 0, 0, 0, 0, 0], [0] * 8])
    assert weighted_log_loss(y, np.full((2, 8), 0.5)) == pytest.approx(
        math.log(2), abs=1e-12)
    # one study, all negative, patient 0.9 wrong, vertebrae right at 0.0:
    # (7 * -log(0.1) + 7 * 1 * -log(1 - 1e-15)) / (7 + 7)
    p = np.array([[0.9] + [0.0] * 7])
    want = (7 * -math.log(0.1) + 7 * -math.log(1 - 1e-15)) / 14
    assert weighted_log_loss(np.zeros((1, 8)), p) == pytest.approx(want,
                                                                  abs=1e-9)
    # a positive study weighs its patient label 14 and each positive
    # vertebra 2: the per-study normalisation changes the mean
    y = np.array([[1, 1, 0, 0, 0, 0, 0, 0], [0] * 8])
    p = np.full((2, 8), 0.2)
    assert weighted_log_loss(y, p) == pytest.approx(reference_score(y, p),
                                                    abs=1e-9)
    # clipping: 0 and 1 never give inf
    assert math.isfinite(weighted_log_loss(y, (1 - y).astype(float)))


def test_random_cases_match_the_reference():
    rng = np.random.default_rng(0)
    for n in (1, 5, 50):
        y = (rng.random((n, 8)) < 0.3).astype(int)
        p = rng.random((n, 8))
        p[rng.random((n, 8)) < 0.05] = rng.choice([0.0, 1.0])
        assert weighted_log_loss(y, p) == pytest.approx(
            reference_score(y, p), abs=1e-9)


def test_shape_and_label_errors():
    with pytest.raises(ValueError, match=r'\(N, 8\)'):
        weighted_log_loss(np.zeros((2, 7)), np.zeros((2, 7)))
    with pytest.raises(ValueError, match='0 or 1'):
        weighted_log_loss(np.full((1, 8), 2), np.zeros((1, 8)))


def test_training_loss_is_the_score_of_its_sigmoid():
    from spinemm.fracture.models import competition_bce
    rng = np.random.default_rng(1)
    y = (rng.random((6, 8)) < 0.4).astype(np.float32)
    logits = rng.normal(0, 2, (6, 8)).astype(np.float32)
    loss = competition_bce(torch.from_numpy(logits), torch.from_numpy(y))
    p = 1 / (1 + np.exp(-logits.astype(float)))
    assert float(loss) == pytest.approx(reference_score(y, p), rel=1e-5)
    # a vertebra without a sequence weighs nothing
    valid = torch.ones(6, 7)
    valid[0, 3] = 0
    moved = logits.copy()
    moved[0, 4] += 5.0  # column 4 of the 8 is C4 (valid[:, 3])
    a = competition_bce(torch.from_numpy(logits), torch.from_numpy(y), valid)
    b = competition_bce(torch.from_numpy(moved), torch.from_numpy(y), valid)
    assert float(a) == pytest.approx(float(b), abs=1e-6)


def test_auc_matches_sklearn_and_report_rates():
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(2)
    y = (rng.random(200) < 0.3).astype(int)
    s = np.round(rng.random(200) + 0.5 * y, 1)  # ties on purpose
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert math.isnan(roc_auc(np.zeros(4), np.arange(4)))
    labels = np.array([[1] * 8, [0] * 8, [1] * 8, [0] * 8])
    probs = np.array([[0.9] * 8, [0.1] * 8, [0.4] * 8, [0.6] * 8])
    rep = fracture_report(labels, probs)
    assert rep['sensitivity/C1'] == 0.5 and rep['specificity/C1'] == 0.5
    assert rep['auc/patient_overall'] == 0.75


def _write(path, rows):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['row_id', 'fractured'])
        w.writerows(rows)


def test_scoring_tool_round_trips_a_submission(tmp_path):
    rng = np.random.default_rng(3)
    uids = [f'1.2.826.0.1.{i}' for i in range(4)]
    y = (rng.random((4, 8)) < 0.4).astype(int)
    p = rng.random((4, 8))
    write_long_csv(tmp_path / 'solution.csv', dict(zip(uids, y)))
    write_long_csv(tmp_path / 'sub.csv', dict(zip(uids, p)))
    sub = read_long_csv(str(tmp_path / 'sub.csv'))
    assert len(sub) == 32 and sub[(uids[2], 'C5')] == pytest.approx(
        p[2, LABELS.index('C5')], rel=1e-5)
    want = reference_score(y, np.round(p, 6))
    assert score_files(str(tmp_path / 'solution.csv'),
                       str(tmp_path / 'sub.csv')) == pytest.approx(want,
                                                                   abs=1e-5)
    proc = run_tool(['python', 'tools/analysis_tools/rsna_score.py',
                     '--solution', str(tmp_path / 'solution.csv'),
                     '--submission', str(tmp_path / 'sub.csv')])
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith('weighted_log_loss=')
    assert float(last.split('=')[1]) == pytest.approx(want, abs=1e-5)


@pytest.mark.parametrize('edit, message', [
    (lambda rows: rows[:-1], 'missing, e.g. 1.2.3_C7'),
    (lambda rows: rows + [rows[3]], 'line 10: row 1.2.3_C3 appears twice'),
    (lambda rows: [r if r[0] != '1.2.3_C2' else [r[0], '1.5'] for r in rows],
     'row 1.2.3_C2: probability 1.5 is not in'),
    (lambda rows: [r if r[0] != '1.2.3_C4' else [r[0], 'nan'] for r in rows],
     'row 1.2.3_C4: probability nan'),
    (lambda rows: [r if r[0] != '1.2.3_C1' else ['1.2.3_C9', '0.1']
                   for r in rows], "'1.2.3_C9' is not"),
])
def test_bad_submissions_name_the_row(tmp_path, edit, message):
    rows = [[f'1.2.3_{lab}', '0.5'] for lab in LABELS]
    _write(tmp_path / 'solution.csv', [[r, '0'] for r, _ in rows])
    _write(tmp_path / 'sub.csv', edit(rows))
    with pytest.raises(SubmissionError, match=message.replace('(', r'\(')):
        score_files(str(tmp_path / 'solution.csv'), str(tmp_path / 'sub.csv'))
    proc = run_tool(['python', 'tools/analysis_tools/rsna_score.py',
                     '--solution', str(tmp_path / 'solution.csv'),
                     '--submission', str(tmp_path / 'sub.csv')])
    assert proc.returncode != 0 and 'error:' in proc.stderr
    assert 'weighted_log_loss=' not in proc.stdout


def test_solution_labels_must_be_binary(tmp_path):
    _write(tmp_path / 'solution.csv', [['1.2.3_C1', '0.5']])
    with pytest.raises(SubmissionError, match='line 2: row 1.2.3_C1: a '
                       'solution label must be 0 or 1'):
        read_long_csv(str(tmp_path / 'solution.csv'), 'solution')


def test_fracture_runtime_logs_validation_losses_unsmoothed():
    """mmengine's LogProcessor averages keys matching its mean_pattern over a
    window; a validation metric named *loss* must be logged as it is."""
    import os.path as osp

    from mmengine.config import Config
    from mmengine.registry import LOG_PROCESSORS

    from conftest import ROOT
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_',
                                   'default_runtime_fracture.py'))
    proc = LOG_PROCESSORS.build(cfg.log_processor)
    for key in ('loss', 'loss_rsna', 'time', 'data_time', 'grad_norm'):
        assert proc.mean_pattern.search(key), key
    for key in ('rsna/weighted_log_loss', 'rsna_slice/ratio_mae'):
        assert not proc.mean_pattern.search(key), key
