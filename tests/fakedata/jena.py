"""Jena climate: datasets/jena_climate_2009_2016.csv (or its zip), the official layout."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np

from dlwp.data.jena import COLUMNS

JENA_HEADER = ",".join(f'"{c}"' for c in COLUMNS)


def jena_rows(n=1000, seed=0) -> tuple[list[str], np.ndarray]:
    """n rows every 10 minutes from 01.01.2009 00:10:00, the official layout; also the values."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = rng.normal(0, 1, (n, 14)) + np.arange(14) * 10.0
    values[:, 0] = 990 + rng.normal(0, 5, n)  # p (mbar)
    values[:, 1] = 5 + 8 * np.sin(2 * np.pi * t / 144) + rng.normal(0, 0.5, n)  # T (degC): daily
    values = np.round(values, 2)
    start = dt.datetime(2009, 1, 1, 0, 10)
    lines = [
        (start + dt.timedelta(minutes=10 * i)).strftime("%d.%m.%Y %H:%M:%S")
        + ","
        + ",".join(f"{v:.2f}" for v in row)
        for i, row in enumerate(values)
    ]
    return lines, values


def write_jena(root: Path, n=1000, seed=0, as_zip=False, header=JENA_HEADER) -> Path:
    """datasets/jena_climate_2009_2016.csv (or .csv.zip holding it) with n data rows."""
    lines, _ = jena_rows(n, seed)
    text = header + "\n" + "\n".join(lines) + "\n"
    csv = root / "datasets" / "jena_climate_2009_2016.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    if as_zip:
        path = csv.with_name(csv.name + ".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("jena_climate_2009_2016.csv", text)
            zf.writestr("__MACOSX/._jena_climate_2009_2016.csv", "resource fork junk")
        return path
    csv.write_text(text)
    return csv
