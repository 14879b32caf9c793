"""Batches per second of the Jena generator: vectorized (`generator`) vs the book's loop.

The vectorized one is `dlwp.jena_series.generator`, the book's loop (listing 6.33) is
chapter06/jena_generator.py's `generator`; both run with the book's settings (lookback 1440,
step 6, delay 144, batch 128): training batches (shuffle, rows 0-200,000) and validation batches
(in order, rows 200,001-300,000). The data is a SYNTHETIC float32 array of the real Jena size
(420,551 x 14, standard normal): the Jena CSV is not available on the machines this was written
on, and the generator's speed does not depend on the values. Timing: time.perf_counter around
`next()`, after one warm-up batch.

Run (from the repository root):
  python -m benchmarks.jena_generator_benchmark [--rows 420551] [--batches 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from chapter06.jena_generator import generator as book_loop_generator
from dlwp.jena_series import generator

JENA_ROWS, JENA_FEATURES = 420551, 14
BOOK = {"lookback": 1440, "step": 6, "delay": 144, "batch_size": 128}


def batches_per_second(gen, batches):
    next(gen)  # warm-up
    start = time.perf_counter()
    for _ in range(batches):
        next(gen)
    return batches / (time.perf_counter() - start)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, default=JENA_ROWS, help="rows of the synthetic array")
    p.add_argument("--batches", type=int, default=200, help="batches timed, vectorized")
    p.add_argument("--loop-batches", type=int, default=20, help="batches timed, book's loop")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    data = np.random.default_rng(args.seed).standard_normal((args.rows, JENA_FEATURES), "float32")
    train_end, val_end = min(200000, args.rows // 2), min(300000, args.rows * 3 // 4)
    modes = {
        "shuffle": {"min_index": 0, "max_index": train_end, "shuffle": True},
        "sequential": {"min_index": train_end + 1, "max_index": val_end, "shuffle": False},
    }
    print(f"synthetic data {data.shape} {data.dtype}; settings {BOOK}")
    out = {}
    for mode, ranges in modes.items():
        fast = batches_per_second(
            generator(data, rng=np.random.RandomState(1), **BOOK, **ranges), args.batches
        )
        slow = batches_per_second(
            book_loop_generator(data, rng=np.random.RandomState(1), **BOOK, **ranges),
            args.loop_batches,
        )
        out[mode] = {
            "vectorized_batches_per_s": fast,
            "loop_batches_per_s": slow,
            "speedup": fast / slow,
        }
        print(
            f"{mode:10}  vectorized {fast:8.1f} batches/s   book loop {slow:7.1f} batches/s"
            f"   speedup {fast / slow:5.1f}x"
        )
    return out


if __name__ == "__main__":
    main()
