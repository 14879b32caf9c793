"""Boston housing: datasets/boston_housing.npz (x, y before the seed-113 split)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_boston(root: Path, n=80, seed=0) -> Path:
    """13 features on very different scales and centres (like the real ones: 0.01 to 1000), so
    statistics taken over the wrong axis, or over the wrong rows, change every normalised value;
    every row is distinct, and the target follows the first two features."""
    rng = np.random.default_rng(seed)
    scales = np.logspace(-2, 3, 13)
    centres = np.linspace(-50.0, 400.0, 13)
    x = centres + scales * rng.normal(0.0, 1.0, (n, 13))
    y = 22 + 3 * (x[:, 0] - centres[0]) / scales[0] - 2 * (x[:, 1] - centres[1]) / scales[1]
    y = y + rng.normal(0, 1, n)
    path = root / "datasets" / "boston_housing.npz"
    np.savez(path, x=x, y=y)
    return path
