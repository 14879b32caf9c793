"""Jena climate: the timeseries generator, normalization, and the common-sense baseline.

Deep Learning with Python, section 6.3.1-6.3.3. The Jena weather records (14 measurements every
10 minutes, 2009-2016, 420,551 rows) are normalized with the mean and standard deviation of the
first 200,000 rows (the training part). `generator` then yields batches of
`(samples, targets)`: each sample is the `lookback` rows (10 days) before a row, one row in `step`
(one per hour), and its target is the temperature `delay` rows (24 hours) after that last row.
Training draws rows at random (`shuffle=True`); validation and test go through their range in
order and wrap around. The book's index ranges: train 0-200,000, validation 200,001-300,000,
test 300,001-end.

`generator` is the book's generator with its per-row Python loop replaced by one NumPy
indexing operation per batch (over a phase-major, sliding-window view of the data: see
`phase_major_windows`); `generator_loop` keeps the book's loop as the reference, and a test
proves both yield exactly the same batches; benchmarks/jena_generator_benchmark.py times both on
an array of the real size (synthetic values, 420,551 x 14; 2 shared CPU cores): 3,858 vs 132
training batches/s (29x) and 8,159 vs 207 validation batches/s (39x).

The common-sense baseline predicts that the temperature 24 hours from now equals the temperature
now (`samples[:, -1, 1]`); its MAE over the validation generator is what the networks of
jena_gru, jena_stacked_gru and jena_conv1d_gru must beat.

Book: baseline MAE 0.2897 (normalized), i.e. 0.2897 * std(T) = 2.57 degC.

Data: `datasets/jena_climate_2009_2016.csv` in the data folder, else extracted from
`jena_climate_2009_2016.csv.zip` (local, or downloaded by Keras from
https://s3.amazonaws.com/keras-datasets/jena_climate_2009_2016.csv.zip);
see dlwp.datasets.load_jena.

Keras 2 -> 3: nothing Keras-specific here; the networks consume the generator with `model.fit`
(Keras 2's `fit_generator`).

Run:  python chapter06/jena_generator.py [--profile smoke|quick|full]
"""

import matplotlib
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlwp import cli, datasets, results

matplotlib.use("Agg")  # headless: write PNGs, never open a window
import matplotlib.pyplot as plt  # noqa: E402

BOOK_RANGES = {"train_end": 200000, "val_end": 300000}
BOOK_SETTINGS = {"lookback": 1440, "step": 6, "delay": 144, "batch_size": 128, **BOOK_RANGES}
PROFILES = {
    # smoke: a few hundred rows of a made-for-tests CSV
    "smoke": {
        "lookback": 60,
        "step": 6,
        "delay": 12,
        "batch_size": 16,
        "train_end": 500,
        "val_end": 800,
    },
    "quick": dict(BOOK_SETTINGS),  # vectorized, the whole validation set takes seconds
    "full": dict(BOOK_SETTINGS),
}
BOOK = {"baseline_val_mae": 0.2897, "baseline_val_mae_celsius": 2.57}
TEMPERATURE = 1  # column of "T (degC)" once "Date Time" is dropped


def normalize(float_data, train_rows=200000):
    """Subtract the mean and divide by the std of the first `train_rows` rows (the book's 6.32).

    Returns (normalized float32 array, mean, std); mean and std are per column, float64.
    """
    mean = float_data[:train_rows].mean(axis=0)
    std = float_data[:train_rows].std(axis=0)
    return ((float_data - mean) / std).astype("float32"), mean, std


def load_normalized(data_dir=None, train_rows=200000):
    """Load the Jena CSV and normalize it: (column names, data, mean, std)."""
    names, float_data = datasets.load_jena(data_dir)
    data, mean, std = normalize(float_data, train_rows)
    return names, data, mean, std


def _next_rows(state, min_index, max_index, lookback, shuffle, batch_size, rng):
    """The rows of the next batch, the book's way (shared by both generators)."""
    if shuffle:
        return rng.randint(min_index + lookback, max_index, size=batch_size)
    if state["i"] + batch_size >= max_index:
        state["i"] = min_index + lookback  # wrap around
    rows = np.arange(state["i"], min(state["i"] + batch_size, max_index))
    state["i"] += len(rows)
    return rows


def phase_major_windows(data, lookback, step):
    """Every possible sample as a read-only view: a (starts, lookback // step, features) array.

    A sample takes every `step`-th row, so all its rows have the same `row % step` (its phase).
    Stored phase-major (rows 0, step, 2 step, ... first, then rows 1, step + 1, ..., and so on),
    a sample is a contiguous block of lookback // step rows, and a sliding-window view lists all
    those blocks without copying. Returns (windows, phase_len): the sample that ends before row r
    is `windows[(r % step) * phase_len + (r - lookback) // step]`.
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
    """Yield (samples, targets) batches forever, vectorized.

    samples: (batch, lookback // step, features), the rows `row - lookback, ..., row - step`;
    targets: (batch,), the temperature (column 1) at `row + delay`. Rows are drawn uniformly from
    [min_index + lookback, max_index) when `shuffle`, else taken in order and wrapped around.
    `max_index=None` means `len(data) - delay - 1`. `rng` (default: NumPy's global generator, as
    in the book) needs a `randint` method, e.g. `np.random.RandomState(0)`.

    The book builds each sample with `data[range(row - lookback, row, step)]` in a Python loop;
    `data[rows[:, None] + np.arange(-lookback, 0, step)]` does the whole batch in one indexing
    operation, and indexing the windows of `phase_major_windows` (one 240-row block per sample
    instead of 240 single rows) is faster still: ~30x the loop (benchmarks/).
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
        rows = _next_rows(state, min_index, max_index, lookback, shuffle, batch_size, rng)
        samples = windows[(rows % step) * phase_len + (rows - lookback) // step]  # a copy
        targets = data[rows + delay, TEMPERATURE]
        yield samples, targets


def generator_loop(
    data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6, rng=None
):
    """The book's generator, with its Python loop over rows (the reference for `generator`)."""
    if max_index is None:
        max_index = len(data) - delay - 1
    rng = np.random if rng is None else rng
    state = {"i": min_index + lookback}
    while True:
        rows = _next_rows(state, min_index, max_index, lookback, shuffle, batch_size, rng)
        samples = np.zeros((len(rows), lookback // step, data.shape[-1]))
        targets = np.zeros((len(rows),))
        for j, _row in enumerate(rows):  # the book's loop, as printed
            indices = range(rows[j] - lookback, rows[j], step)
            samples[j] = data[indices]
            targets[j] = data[rows[j] + delay][1]
        yield samples, targets


def book_generators(data, lookback, step, delay, batch_size, train_end, val_end, **_):
    """The book's three generators and step counts (listing 6.34), for the given index ranges.

    Returns (train_gen, val_gen, test_gen, val_steps, test_steps); extra keyword arguments (the
    rest of a profile's settings) are ignored so scripts can pass `**vars(args)`.
    """
    common = {"lookback": lookback, "delay": delay, "step": step, "batch_size": batch_size}
    train_gen = generator(data, min_index=0, max_index=train_end, shuffle=True, **common)
    val_gen = generator(data, min_index=train_end + 1, max_index=val_end, **common)
    test_gen = generator(data, min_index=val_end + 1, max_index=None, **common)
    val_steps = (val_end - (train_end + 1) - lookback) // batch_size
    test_steps = (len(data) - (val_end + 1) - lookback) // batch_size
    if val_steps < 1 or test_steps < 1:
        raise ValueError(f"{len(data)} rows are too few for lookback {lookback}")
    return train_gen, val_gen, test_gen, val_steps, test_steps


def evaluate_naive_method(val_gen, val_steps):
    """MAE of "the temperature in 24 h equals the temperature now" over val_steps batches."""
    batch_maes = []
    for _ in range(val_steps):
        samples, targets = next(val_gen)
        preds = samples[:, -1, TEMPERATURE]
        batch_maes.append(np.mean(np.abs(preds - targets)))
    return float(np.mean(batch_maes))


def plot_temperature(temperature):
    """The whole temperature series and its first 10 days (1440 rows), as in the book."""
    fig, (ax_all, ax_days) = plt.subplots(1, 2, figsize=(12, 4))
    ax_all.plot(range(len(temperature)), temperature, linewidth=0.3)
    ax_all.set(title="Temperature (degC), whole series", xlabel="Row (10 min)")
    ax_days.plot(range(min(1440, len(temperature))), temperature[:1440])
    ax_days.set(title="First 10 days", xlabel="Row (10 min)")
    return fig


def parse_args(argv=None):
    parser = cli.parser(__doc__, PROFILES)
    return cli.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    run = results.Run(__file__, args, "Jena climate: generator and common-sense baseline", BOOK)

    # Data: parse, plot the temperature, normalize with the training rows' statistics
    names, float_data = datasets.load_jena(args.data_dir)
    print(f"{float_data.shape[0]} rows, columns {names}")
    run.save_figure(plot_temperature(float_data[:, TEMPERATURE]), "_temperature.png")
    data, mean, std = normalize(float_data, args.train_end)

    # Generators over the book's index ranges, and one batch's shapes
    train_gen, val_gen, _, val_steps, test_steps = book_generators(data, **vars(args))
    samples, targets = next(train_gen)
    print(f"samples {samples.shape}, targets {targets.shape}")

    # Common-sense baseline on the validation range
    baseline = evaluate_naive_method(val_gen, val_steps)
    print(f"baseline MAE {baseline:.4f} = {baseline * std[TEMPERATURE]:.2f} degC")

    return run.finish(
        {
            "baseline_val_mae": baseline,
            "baseline_val_mae_celsius": baseline * std[TEMPERATURE],
            "rows": int(len(data)),
            "sample_batch_shape": list(samples.shape),
            "target_batch_shape": list(targets.shape),
            "val_steps": val_steps,
            "test_steps": test_steps,
            "temperature_mean": mean[TEMPERATURE],
            "temperature_std": std[TEMPERATURE],
        }
    )


if __name__ == "__main__":
    main()
