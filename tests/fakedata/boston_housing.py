"""Boston housing: datasets/boston_housing.npz (x, y before the seed-113 split)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_boston(root: Path, n=80, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 3.0, (n, 13))
    y = 20 + x[:, 0] * 2 + rng.normal(0, 1, n)
    path = root / "datasets" / "boston_housing.npz"
    np.savez(path, x=x, y=y)
    return path
