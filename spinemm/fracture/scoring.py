"""The RSNA 2022 competition score: weighted log loss over 8 labels a study.

Kaggle's metric, as published: for each study the labels
``[patient_overall, C1, ..., C7]`` are weighted 7 (negative) / 14 (positive)
for ``patient_overall`` and 1 / 2 for each vertebra; predictions are clipped to
``[1e-15, 1 - 1e-15]``; each study's weighted binary cross-entropy is divided
by that study's sum of weights, and the score is the mean over studies.
Plain numpy, so a submission file can be scored without torch.
"""
import numpy as np

from ..formats.rsna import RSNA_VERTEBRAE

#: label order of every (N, 8) array in spinemm.fracture
LABELS = ('patient_overall', ) + RSNA_VERTEBRAE
#: (negative weight, positive weight) per label, in LABELS order
WEIGHTS = np.array([[7.0, 14.0]] + [[1.0, 2.0]] * 7)
EPS = 1e-15


def label_weights(labels):
    """(N, 8) 0/1 labels -> the competition's weight of each entry."""
    y = np.asarray(labels, float)
    return WEIGHTS[:, 0] * (1 - y) + WEIGHTS[:, 1] * y


def weighted_log_loss(labels, probs):
    """The competition score of (N, 8) labels and probabilities.

    Returns:
        float: the mean over studies of each study's weighted log loss
        normalised by its sum of weights (lower is better).
    """
    y = np.asarray(labels, float)
    p = np.clip(np.asarray(probs, float), EPS, 1 - EPS)
    if y.shape != p.shape or y.ndim != 2 or y.shape[1] != len(LABELS):
        raise ValueError(f'labels and probabilities must both be (N, '
                         f'{len(LABELS)}), got {y.shape} and {p.shape}')
    if not np.isin(y, (0, 1)).all():
        raise ValueError('labels must be 0 or 1')
    w = label_weights(y)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(np.mean((w * loss).sum(1) / w.sum(1)))


def prior_probabilities(labels):
    """Each label's frequency in (N, 8) training labels: the constant-prior
    baseline a model must beat."""
    return np.asarray(labels, float).mean(0)


def roc_auc(labels, scores):
    """Area under the ROC curve by the rank-sum (Mann-Whitney) statistic,
    ties counted half; NaN when only one class is present."""
    y = np.asarray(labels, bool)
    s = np.asarray(scores, float)
    pos, neg = s[y], s[~y]
    if not len(pos) or not len(neg):
        return float('nan')
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def fracture_report(labels, probs, threshold=0.5):
    """The score plus, per label, AUC and sensitivity / specificity at
    ``threshold``: {'weighted_log_loss': x, 'auc/C1': ..., ...}."""
    y = np.asarray(labels, int)
    p = np.asarray(probs, float)
    out = dict(weighted_log_loss=weighted_log_loss(y, p))
    for j, name in enumerate(LABELS):
        pred = p[:, j] >= threshold
        pos, neg = y[:, j] == 1, y[:, j] == 0
        out[f'auc/{name}'] = roc_auc(y[:, j], p[:, j])
        out[f'sensitivity/{name}'] = float(pred[pos].mean()) if pos.any() \
            else float('nan')
        out[f'specificity/{name}'] = float((~pred[neg]).mean()) \
            if neg.any() else float('nan')
    return out
