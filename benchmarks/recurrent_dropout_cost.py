"""Seconds per training epoch of the stacked-GRU model with and without recurrent dropout.

The model is chapter06/jena_stacked_gru.py's `build_model` (GRU(32) + GRU(64, relu), dropout 0.1),
fed by the Jena generator (`dlwp.jena_series.generator`) with the book's settings (lookback 1440,
step 6: 240 timesteps, batch 128). The data is a SYNTHETIC array of the Jena shape (420,551 x 14,
standard normal): the CSV is not available here, and the time per step does not depend on the
values. Each configuration trains `--steps` steps after a warm-up epoch (graph tracing), and the
time is scaled to the book's 500 steps per epoch (training only, without the validation pass).

Run (from the repository root):  python -m benchmarks.recurrent_dropout_cost [--steps 20]
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np

from chapter06.jena_stacked_gru import build_model
from dlwp.jena_series import generator

JENA_ROWS, JENA_FEATURES = 420551, 14


def seconds_per_epoch(recurrent_dropout, data, steps, book_steps=500):
    keras.utils.set_random_seed(0)
    model = build_model(data.shape[-1], recurrent_dropout)
    gen = generator(data, lookback=1440, delay=144, min_index=0, max_index=200000, shuffle=True)
    model.fit(gen, steps_per_epoch=2, epochs=1, verbose=0)  # warm-up: tracing
    start = time.perf_counter()
    model.fit(gen, steps_per_epoch=steps, epochs=1, verbose=0)
    return (time.perf_counter() - start) / steps * book_steps


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--steps", type=int, default=20, help="training steps timed per setting")
    args = p.parse_args(argv)
    data = np.random.default_rng(0).standard_normal((JENA_ROWS, JENA_FEATURES), "float32")
    out = {}
    for rd in (0.0, 0.5):
        out[rd] = seconds_per_epoch(rd, data, args.steps)
        print(f"recurrent_dropout={rd}: {out[rd]:.0f} s per 500-step epoch", flush=True)
    print(f"cost of recurrent dropout: x{out[0.5] / out[0.0]:.2f}")
    return out


if __name__ == "__main__":
    main()
