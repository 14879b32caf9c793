"""dlwp.history: the best epoch is read 1-based from the right key and direction, and the book's
exponential smoothing weighs the past by `factor`."""

import pytest

from dlwp.history import best_epoch, smooth_curve

HISTORY = {
    "val_accuracy": [0.61, 0.74, 0.72, 0.70],
    "val_loss": [0.9, 0.5, 0.45, 0.6],
    "accuracy": [0.5, 0.9, 0.95, 0.99],
}


def test_best_epoch_is_one_based_from_the_key_and_direction_asked():
    got = best_epoch(HISTORY)
    assert got["best_val_accuracy"] == 0.74 and got["best_epoch"] == 2
    assert got["final_val_accuracy"] == 0.70 and got["history"] == HISTORY
    low = best_epoch(HISTORY, "val_loss", mode="min", epoch_key="best_loss_epoch")
    assert low["best_val_loss"] == 0.45 and low["best_loss_epoch"] == 3
    assert low["final_val_loss"] == 0.6


def test_smooth_curve_is_the_books_moving_average():
    points = [1.0, 0.0, 2.0, 0.5]
    expected, previous = [], None
    for p in points:  # smoothed = previous * factor + point * (1 - factor), the first as is
        previous = p if previous is None else previous * 0.9 + p * 0.1
        expected.append(previous)
    assert smooth_curve(points, factor=0.9) == pytest.approx(expected)
    assert smooth_curve(points) == pytest.approx([1.0, 0.8, 1.04, 0.932])
