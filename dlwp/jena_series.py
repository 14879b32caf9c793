"""The Jena climate series of section 6.3, made ready for training: normalization, the
(vectorized) generator, the book's three generators and the MAE in degrees.

The Jena exercise presents the book's generator, with its per-row Python loop, and a
test proves that `generator` here yields exactly its batches, ~30x faster (benchmarks/).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlwp.errors import UserError

TEMPERATURE = 1  # column of "T (degC)" once "Date Time" is dropped
# a few hundred rows of a made-for-tests CSV: what every Jena script's smoke profile uses
SMOKE_SETTINGS = {
    "lookback": 60,
    "step": 6,
    "delay": 12,
    "batch_size": 16,
    "train_end": 500,
    "val_end": 800,
}
BOOK_SETTINGS = {
    "lookback": 1440,
    "step": 6,
    "delay": 144,
    "batch_size": 128,
    "train_end": 200000,
    "val_end": 300000,
}


def normalize(float_data, train_rows=200000):
    """Subtract the mean and divide by the std of the first `train_rows` rows (listing 6.32).

    Returns (normalized float32 array, mean, std); mean and std are per column, float64.
    """
    mean = float_data[:train_rows].mean(axis=0)
    std = float_data[:train_rows].std(axis=0)
    return ((float_data - mean) / std).astype("float32"), mean, std


def next_rows(state, min_index, max_index, lookback, shuffle, batch_size, rng):
    """The rows of the next batch, the book's way: random, or in order with wrap-around."""
    if shuffle:
        return rng.randint(min_index + lookback, max_index, size=batch_size)
    if state["i"] + batch_size >= max_index:
        state["i"] = min_index + lookback
    rows = np.arange(state["i"], min(state["i"] + batch_size, max_index))
    state["i"] += len(rows)
    return rows


def phase_major_windows(data, lookback, step):
    """Every possible sample as a read-only view: a (starts, lookback // step, features) array.

    A sample takes every `step`-th row, so all its rows have the same `row % step` (its phase).
    Stored phase-major (rows 0, step, 2 step, ... first, then rows 1, step + 1, ...), a sample is
    a contiguous block of lookback // step rows, and a sliding-window view lists all those blocks
    without copying. Returns (windows, phase_len): the sample that ends before row r is
    `windows[(r % step) * phase_len + (r - lookback) // step]`.
    """
    pad = -len(data) % step
    if pad:
        data = np.concatenate([data, np.zeros((pad, data.shape[-1]), data.dtype)])
    phase_len = len(data) // step
    phase_major = data.reshape(phase_len, step, -1).transpose(1, 0, 2).reshape(len(data), -1)
    windows = sliding_window_view(phase_major, lookback // step, axis=0)  # (starts, features, n)
    return windows.transpose(0, 2, 1), phase_len


def generator(
    data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6, rng=None
):
    """The book's generator (listing 6.33), one NumPy indexing operation per batch.

    Yields (samples (batch, lookback // step, features), targets (batch,)) forever: the rows
    `row - lookback, ..., row - step` and the temperature at `row + delay`. `max_index=None`
    means `len(data) - delay - 1`; `rng` (default NumPy's global one, as in the book) needs
    `randint`.
    """
    if lookback % step:
        raise ValueError(f"lookback ({lookback}) must be a multiple of step ({step})")
    if max_index is None:
        max_index = len(data) - delay - 1
    if max_index <= min_index + lookback:
        raise ValueError(f"no row between min_index + lookback and max_index ({max_index})")
    rng = np.random if rng is None else rng
    windows, phase_len = phase_major_windows(data, lookback, step)
    state = {"i": min_index + lookback}
    while True:
        rows = next_rows(state, min_index, max_index, lookback, shuffle, batch_size, rng)
        samples = windows[(rows % step) * phase_len + (rows - lookback) // step]  # a copy
        yield samples, data[rows + delay, TEMPERATURE]


class Generators(NamedTuple):
    """The book's three generators over the series and the steps that cover validation, test."""

    train: Iterator
    val: Iterator
    test: Iterator
    val_steps: int
    test_steps: int


def book_generators(series, lookback, step, delay, batch_size, train_end, val_end) -> Generators:
    """The book's train/validation/test generators and step counts (listing 6.34).

    A series too short for a range is a UserError saying which range needs how many rows.
    """
    n = len(series)
    needs = {
        "training": train_end + delay + 1,
        "validation": val_end + delay + 1,
        "test": val_end + 1 + lookback + batch_size + delay + 1,
    }
    for name, rows in needs.items():
        if n < rows:
            raise UserError(
                f"the Jena data has {n} rows: too few for the {name} range, which needs at "
                f"least {rows} with lookback {lookback}, delay {delay}, batch size {batch_size}, "
                f"train_end {train_end} and val_end {val_end}",
                "use the complete jena_climate_2009_2016.csv",
            )
    if val_end - (train_end + 1) - lookback < batch_size or train_end <= lookback:
        raise ValueError(
            f"the ranges are too short for lookback {lookback}: {train_end}, {val_end}"
        )
    common = {"lookback": lookback, "delay": delay, "step": step, "batch_size": batch_size}
    train_gen = generator(series, min_index=0, max_index=train_end, shuffle=True, **common)
    val_gen = generator(series, min_index=train_end + 1, max_index=val_end, **common)
    test_gen = generator(series, min_index=val_end + 1, max_index=None, **common)
    val_steps = (val_end - (train_end + 1) - lookback) // batch_size
    test_steps = (n - (val_end + 1) - lookback) // batch_size
    return Generators(train_gen, val_gen, test_gen, val_steps, test_steps)


GENERATOR_SETTINGS = ("lookback", "step", "delay", "batch_size", "train_end", "val_end")


def settings(args) -> dict:
    """The generator settings among a script's parsed flags and profile, for `book_generators`."""
    return {k: getattr(args, k) for k in GENERATOR_SETTINGS}


def mae_metrics(history, std) -> dict:
    """What every Jena network reports: the best and last validation MAE (its loss), the best
    epoch, the best MAE in degrees Celsius (times the temperature's std), and the history."""
    val = history.history["val_loss"]
    best = int(np.argmin(val))
    return {
        "best_val_mae": float(val[best]),
        "best_val_epoch": best + 1,
        "final_val_mae": float(val[-1]),
        "best_val_mae_celsius": float(val[best] * std[TEMPERATURE]),
        "history": dict(history.history),
    }
