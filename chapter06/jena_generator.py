"""Jena climate: the timeseries generator, normalization, and the common-sense baseline.

Deep Learning with Python, section 6.3.1-6.3.3 (notebook 6.3, cells 4-21). The Jena weather
records (14 measurements every 10 minutes, 2009-2016, 420,551 rows) are normalized with the
statistics of the first 200,000 rows. `generator` (listing 6.33) yields (samples, targets): the
10 days (`lookback`) before a row, one row per hour (`step`), and the temperature 24 hours
(`delay`) later; training draws rows at random, validation and test go through their ranges in
order (train 0-200,000, validation 200,001-300,000, test 300,001-end). The common-sense baseline
(listing 6.35: the temperature in 24 hours is today's) is the MAE the networks must beat.

Book: baseline MAE 0.289735972991 (notebook 6.3, cell 21), i.e. 2.57 degC in markdown cell 22
(text, not a printed output); val_steps = 769 and test_steps = 930 (cell 17; not printed).

Run:  python chapter06/jena_generator.py [--profile smoke|quick|full]
Data: datasets/jena_climate_2009_2016.csv, else extracted from jena_climate_2009_2016.csv.zip
(local, or https://s3.amazonaws.com/keras-datasets/jena_climate_2009_2016.csv.zip).
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from matplotlib.figure import Figure

from dlwp import flags, jena_series, results
from dlwp.data import jena
from dlwp.jena_series import BOOK_SETTINGS, TEMPERATURE

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
    # full: notebook 6.3, cell 17; val_steps = (300000 - 200001 - 1440) // 128 = 769
    "full": dict(BOOK_SETTINGS),
}
BOOK = {
    "baseline_val_mae": 0.289735972991,  # notebook 6.3, cell 21: evaluate_naive_method() prints it
    "baseline_val_mae_celsius": 2.57,  # notebook 6.3, markdown cell 22's text, not an output
}


def generator(
    data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6, rng=None
):
    """The book's generator (listing 6.33), with its per-row loop, as printed.

    Yields (samples (batch, lookback // step, features), targets (batch,)) forever: for each
    row, the rows `row - lookback, ..., row - step` and the temperature (column 1) at
    `row + delay`. Rows are drawn uniformly from [min_index + lookback, max_index) when
    `shuffle`, else taken in order and wrapped around; `max_index=None` means
    `len(data) - delay - 1`. `rng` (default: NumPy's global generator, as in the book) needs a
    `randint` method, e.g. `np.random.RandomState(0)`.
    """
    rng = np.random if rng is None else rng
    if max_index is None:
        max_index = len(data) - delay - 1
    i = min_index + lookback
    while 1:
        if shuffle:
            rows = rng.randint(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)

        samples = np.zeros((len(rows), lookback // step, data.shape[-1]))
        targets = np.zeros((len(rows),))
        for j, row in enumerate(rows):  # noqa: B007 (the book's loop, as printed)
            indices = range(rows[j] - lookback, rows[j], step)
            samples[j] = data[indices]
            targets[j] = data[rows[j] + delay][1]
        yield samples, targets


def evaluate_naive_method(val_gen, val_steps):
    """MAE of "the temperature in 24 h equals the temperature now" over val_steps batches
    (listing 6.35)."""
    batch_maes = []
    for _step in range(val_steps):
        samples, targets = next(val_gen)
        preds = samples[:, -1, 1]
        mae = np.mean(np.abs(preds - targets))
        batch_maes.append(mae)
    return float(np.mean(batch_maes))


def plot_temperature(temperature):
    """The whole temperature series and its first 10 days (1440 rows), as in the book."""
    fig = Figure(figsize=(12, 4))
    ax_all, ax_days = fig.subplots(1, 2)
    ax_all.plot(range(len(temperature)), temperature, linewidth=0.3)
    ax_all.set(title="Temperature (degC), whole series", xlabel="Row (10 min)")
    ax_days.plot(range(min(1440, len(temperature))), temperature[:1440])
    ax_days.set(title="First 10 days", xlabel="Row (10 min)")
    return fig


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Jena climate: generator and common-sense baseline", BOOK)

    # Data: parse, normalize with the training rows' statistics
    names, float_data = jena.load(args.folders)
    print(f"{float_data.shape[0]} rows, columns {names}")
    series, mean, std = jena_series.normalize(float_data, args.train_end)

    # The book's generators over its index ranges (listing 6.34; vectorized), one batch's shapes.
    # dlwp.jena_series.generator replaces `generator`'s row loop by one NumPy indexing per batch; a
    # test proves the batches equal, and benchmarks/jena_generator_benchmark.py (2 cores) measured
    # 3,858 vs 132 training batches/s (29x) and 8,159 vs 207 validation batches/s (39x).
    gens = jena_series.book_generators(series, **jena_series.settings(args))
    train_gen, val_gen, val_steps, test_steps = (
        gens.train,
        gens.val,
        gens.val_steps,
        gens.test_steps,
    )
    samples, targets = next(train_gen)
    print(f"samples {samples.shape}, targets {targets.shape}")

    # The temperature, whole and its first 10 days (plotted once the series is known to be long
    # enough for the ranges: a run that fails writes no file)
    run.save_figure(plot_temperature(float_data[:, TEMPERATURE]), "_temperature.png")

    # Common-sense baseline on the validation range
    baseline = evaluate_naive_method(val_gen, val_steps)
    print(f"baseline MAE {baseline:.4f} = {baseline * std[TEMPERATURE]:.2f} degC")

    return run.finish(
        {
            "baseline_val_mae": baseline,
            "baseline_val_mae_celsius": baseline * std[TEMPERATURE],
            "rows": int(len(series)),
            "sample_batch_shape": list(samples.shape),
            "target_batch_shape": list(targets.shape),
            "val_steps": val_steps,
            "test_steps": test_steps,
            "temperature_mean": mean[TEMPERATURE],
            "temperature_std": std[TEMPERATURE],
        }
    )


if __name__ == "__main__":
    flags.run(main)
