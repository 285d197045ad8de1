"""Score an RSNA 2022 submission with the competition's weighted log loss.

    python tools/analysis_tools/rsna_score.py --solution SOLUTION.csv \
        --submission SUBMISSION.csv

Both files are Kaggle long format (row_id = <StudyInstanceUID>_<C1..C7|
patient_overall>, fractured). Prints AUC per label, then a last line
weighted_log_loss=<float>. A row missing from or repeated in the submission,
or a value outside [0, 1] or NaN, is an error naming the row.
  --solution-from-train-csv  treat --solution as an RSNA train.csv (wide)
"""
import argparse
import sys

from spinemm.formats.rsna import read_train_csv
from spinemm.fracture.scoring import fracture_report
from spinemm.fracture.submission import (SubmissionError, as_arrays,
                                         read_long_csv)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--solution', required=True)
    p.add_argument('--submission', required=True)
    p.add_argument('--solution-from-train-csv', action='store_true',
                   help='--solution is a train.csv (one row per study); only '
                   'its studies present in the submission are scored')
    a = p.parse_args()
    try:
        sub = read_long_csv(a.submission, 'submission')
        if a.solution_from_train_csv:
            wide = read_train_csv(a.solution)
            uids = {u for u, _ in sub}
            sol = {(u, k): float(v) for u, row in wide.items() if u in uids
                   for k, v in row.items()}
        else:
            sol = read_long_csv(a.solution, 'solution')
        _, y, prob = as_arrays(sol, sub, a.solution, a.submission)
    except (SubmissionError, FileNotFoundError, ValueError) as e:
        sys.exit(f'error: {e}')
    rep = fracture_report(y, prob)
    print(f'{len(y)} studies')
    for k, v in rep.items():
        if k.startswith('auc/'):
            print(f'{k}={v:.4f}')
    print(f'weighted_log_loss={rep["weighted_log_loss"]:.6f}')


if __name__ == '__main__':
    main()
