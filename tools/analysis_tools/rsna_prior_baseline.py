"""The constant-prior baseline of an RSNA fold: every study of the held-out
fold gets each label's frequency in the other folds, scored with the
competition's weighted log loss. A fracture model must beat it.

    python tools/analysis_tools/rsna_prior_baseline.py data/rsna_phantoms --val-fold 0
PREPARED is the folder holding train_folds.csv (rsna_prepare.py's output).
"""
import argparse
import os.path as osp

import numpy as np

from spinemm.formats.rsna_prepare import read_folds
from spinemm.fracture.scoring import (LABELS, fracture_report,
                                      prior_probabilities)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('prepared')
    p.add_argument('--val-fold', type=int, default=0)
    a = p.parse_args()
    folds = read_folds(osp.join(a.prepared, 'train_folds.csv'))
    y = {f: np.array([[r[k] for k in LABELS] for r in folds.values()
                      if (r['fold'] == a.val_fold) == f]) for f in (True,
                                                                    False)}
    if not len(y[True]) or not len(y[False]):
        raise SystemExit(f'error: fold {a.val_fold} is empty or is every '
                         'study')
    prior = prior_probabilities(y[False])
    rep = fracture_report(y[True], np.tile(prior, (len(y[True]), 1)))
    print(f'{len(y[True])} held-out studies, prior from {len(y[False])}: ' +
          ', '.join(f'{k} {v:.3f}' for k, v in zip(LABELS, prior)))
    print(f'weighted_log_loss={rep["weighted_log_loss"]:.6f}')


if __name__ == '__main__':
    main()
