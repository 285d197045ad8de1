"""Kaggle long-format files: ``row_id = <StudyInstanceUID>_<label>``,
``fractured`` = 0/1 (solution) or a probability (submission).

Every check names the row: a submission that misses a row of the solution,
repeats one, or holds a value that is not a probability is refused, never
scored as if it were complete.
"""
import csv
import math
import os.path as osp

import numpy as np

from ..utils import atomic_file
from .scoring import LABELS, weighted_log_loss


class SubmissionError(ValueError):
    """A solution or submission file that cannot be scored."""


def _split_row_id(path, line, row_id):
    for label in LABELS:  # patient_overall holds a '_' itself
        if row_id.endswith('_' + label) and len(row_id) > len(label) + 1:
            return row_id[:-len(label) - 1], label
    raise SubmissionError(
        f'{path}, line {line}: row_id {row_id!r} is not '
        f'<StudyInstanceUID>_<{"|".join(LABELS)}>')


def read_long_csv(path, kind='submission'):
    """``{(uid, label): value}`` from a long-format file.

    ``kind='solution'`` requires 0/1 values; ``'submission'`` requires
    probabilities in [0, 1] (NaN refused). Duplicated rows are refused.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{kind} file not found: {path}')
    out = {}
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        missing = {'row_id', 'fractured'} - set(reader.fieldnames or [])
        if missing:
            raise SubmissionError(f'{path}: missing column(s) '
                                  f'{sorted(missing)} (need row_id, '
                                  'fractured)')
        for line, row in enumerate(reader, 2):
            key = _split_row_id(path, line, row['row_id'].strip())
            try:
                value = float(row['fractured'])
            except (TypeError, ValueError):
                raise SubmissionError(
                    f'{path}, line {line}: row {row["row_id"]}: fractured '
                    f'{row["fractured"]!r} is not a number') from None
            if kind == 'solution' and value not in (0.0, 1.0):
                raise SubmissionError(
                    f'{path}, line {line}: row {row["row_id"]}: a solution '
                    f'label must be 0 or 1, not {row["fractured"]}')
            if math.isnan(value) or not 0.0 <= value <= 1.0:
                raise SubmissionError(
                    f'{path}, line {line}: row {row["row_id"]}: '
                    f'probability {row["fractured"]} is not in [0, 1]')
            if key in out:
                raise SubmissionError(
                    f'{path}, line {line}: row {row["row_id"]} appears '
                    'twice')
            out[key] = value
    return out


def as_arrays(solution, submission, solution_path='solution',
              submission_path='submission'):
    """Aligned (N, 8) labels and probabilities over the solution's studies.

    Raises:
        SubmissionError: a solution row missing from the submission (the
            first few named), a submission row the solution does not have,
            or a solution study without all 8 labels.
    """
    missing = sorted(set(solution) - set(submission))
    if missing:
        names = ', '.join(f'{u}_{lab}' for u, lab in missing[:5])
        raise SubmissionError(f'{submission_path}: {len(missing)} row(s) of '
                              f'the solution missing, e.g. {names}')
    extra = sorted(set(submission) - set(solution))
    if extra:
        names = ', '.join(f'{u}_{lab}' for u, lab in extra[:5])
        raise SubmissionError(f'{submission_path}: {len(extra)} row(s) not '
                              f'in the solution, e.g. {names}')
    uids = sorted({u for u, _ in solution})
    for u in uids:
        lacking = [lab for lab in LABELS if (u, lab) not in solution]
        if lacking:
            raise SubmissionError(f'{solution_path}: study {u} lacks the '
                                  f'label(s) {lacking}')
    y = np.array([[solution[(u, lab)] for lab in LABELS] for u in uids])
    p = np.array([[submission[(u, lab)] for lab in LABELS] for u in uids])
    return uids, y, p


def score_files(solution_path, submission_path):
    """The competition score of a submission file against a solution."""
    solution = read_long_csv(solution_path, 'solution')
    submission = read_long_csv(submission_path, 'submission')
    _, y, p = as_arrays(solution, submission, solution_path, submission_path)
    return weighted_log_loss(y, p)


def write_long_csv(path, values):
    """Write ``{uid: 8 values in LABELS order}`` as a long-format file
    (atomically; rows sorted by study, then in LABELS order)."""
    with atomic_file(path, '.csv') as tmp, open(tmp, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['row_id', 'fractured'])
        for uid in sorted(values):
            row = np.asarray(values[uid], float)
            if row.shape != (len(LABELS), ):
                raise ValueError(f'{uid}: need {len(LABELS)} values, got '
                                 f'{row.shape}')
            for lab, v in zip(LABELS, row):
                w.writerow([f'{uid}_{lab}', f'{v:.6g}'])


def solution_from_train_csv(train_labels, uids=None):
    """``read_train_csv`` output -> ``{uid: 8 labels}`` for write_long_csv."""
    uids = sorted(train_labels) if uids is None else uids
    return {u: [train_labels[u][lab] for lab in LABELS] for u in uids}
