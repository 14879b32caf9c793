"""The gears of neural networks: element-wise relu and addition written as plain loops.

Deep Learning with Python, section 2.3.1. `naive_relu` and `naive_add` take 2D NumPy arrays and
use explicit Python for-loops (no vectorized NumPy), to show what `np.maximum(x, 0.)` and `x + y`
do element by element. The script prints them on a small example, checks them against the
vectorized NumPy operations, and times both on a 256x256 array.

Book: exact values (the loops and NumPy agree).

Run:  python chapter02/naive_tensor_ops.py
"""

import time

import numpy as np

from dlwp import flags, results

PROFILES = {"smoke": {"size": 32}, "quick": {"size": 256}, "full": {"size": 256}}
BOOK = {"matches_numpy": True}


def naive_relu(x):
    assert len(x.shape) == 2  # x is a 2D NumPy tensor
    x = x.copy()  # avoid overwriting the input tensor
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = max(x[i, j], 0)
    return x


def naive_add(x, y):
    assert len(x.shape) == 2
    assert x.shape == y.shape
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] += y[i, j]
    return x


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    run = results.Run(__file__, args, "naive_relu and naive_add with loops", BOOK)

    x = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    y = np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
    print(
        "x =\n", x, "\nnaive_relu(x) =\n", naive_relu(x), "\nnaive_add(x, y) =\n", naive_add(x, y)
    )

    rng = np.random.default_rng(args.seed)
    a = rng.standard_normal((args.size, args.size))
    b = rng.standard_normal((args.size, args.size))
    matches = bool(
        np.array_equal(naive_relu(a), np.maximum(a, 0.0)) and np.array_equal(naive_add(a, b), a + b)
    )

    def best_of(fn, repeats=3):
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    loop_s = best_of(lambda: naive_relu(naive_add(a, b)))
    numpy_s = best_of(lambda: np.maximum(a + b, 0.0))
    print(f"{args.size}x{args.size}: loops {loop_s * 1e3:.1f} ms, NumPy {numpy_s * 1e3:.3f} ms")
    return run.finish(
        {
            "matches_numpy": matches,
            "example_relu": naive_relu(x),
            "example_add": naive_add(x, y),
            "loop_ms": loop_s * 1e3,
            "numpy_ms": numpy_s * 1e3,
            "speedup": loop_s / numpy_s,
        }
    )


if __name__ == "__main__":
    flags.run(main)
