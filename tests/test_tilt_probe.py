"""spinemm.evaluation.tilt_probe: turning a CT in the sagittal plane and
the share of each vertebra a class map marks."""
import numpy as np
import pytest

from spinemm.evaluation.tilt_probe import recall_by_level, tilt_sagittal


def _column(shape=(61, 61, 5), p=30):
    vol = np.zeros(shape, np.uint8)
    vol[:, p - 2:p + 3, :] = 1
    return vol


def test_a_positive_tilt_moves_the_top_forward_by_the_angle():
    turned = tilt_sagittal(_column(), 25.0, is_label=True)[:, :, 2]
    rows, cols = np.nonzero(turned)
    top, bottom = rows < 15, rows > 45
    # forward = anterior = lower P at the top, higher at the bottom
    assert cols[top].mean() < 30 < cols[bottom].mean()
    slope = np.polyfit(rows, cols, 1)[0]
    assert np.degrees(np.arctan(slope)) == pytest.approx(25.0, abs=2.0)
    back = tilt_sagittal(tilt_sagittal(_column(), -25.0, is_label=True),
                         25.0, is_label=True)
    inner = _column()[10:50]  # the corners leave the grid and come back air
    assert (back[10:50] == inner).mean() > 0.97


def test_labels_stay_labels_and_air_enters_from_outside():
    lab = _column() * 7
    out = tilt_sagittal(lab, 33.0, is_label=True)
    assert set(np.unique(out)) == {0, 7}
    hu = np.full((41, 41, 3), 100.0, np.float32)
    out = tilt_sagittal(hu, 45.0)
    assert out.dtype == np.float32 and out.shape == hu.shape
    assert out[0, 0, 1] == pytest.approx(-1024.0)  # a corner came from out
    assert out[20, 20, 1] == pytest.approx(100.0)
    with pytest.raises(ValueError, match='3D'):
        tilt_sagittal(np.zeros((4, 4)), 10)


def test_recall_by_level_counts_each_label():
    truth = np.zeros((4, 4, 4), np.uint8)
    truth[0] = 20
    truth[1:3] = 21
    marked = np.zeros(truth.shape, bool)
    marked[0, :2] = True      # half of L1
    marked[1] = True          # half of L2
    marked[3] = True          # background: not counted
    assert recall_by_level(marked, truth) == {20: 0.5, 21: 0.5}
    with pytest.raises(ValueError, match='shape'):
        recall_by_level(marked[:2], truth)
