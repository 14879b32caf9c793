"""Kaggle's Dogs vs. Cats train/ folder: tiny learnable JPEGs, or stubs at the book's size.

Stubs: one tiny JPEG copied, each copy with its own file name appended after the JPEG's end
marker (decoders stop there), so every file decodes and every file differs: a split that put a
photo in the wrong place shows.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from fakedata.images import jpeg

N_PER_CLASS = 12  # the smoke split needs 6 + 3 + 3 per class


def write_dogs_vs_cats(root: Path, n_per_class: int = N_PER_CLASS) -> Path:
    """Kaggle's flat train/ folder: cats reddish, dogs bluish (learnable)."""
    folder = root / "datasets" / "dogs-vs-cats" / "train"
    for i in range(n_per_class):
        jpeg(folder / f"cat.{i}.jpg", (170, 90, 60), (40 + i, 30), seed=i)
        jpeg(folder / f"dog.{i}.jpg", (60, 90, 170), (30, 40 + i), seed=100 + i)
    return folder


def write_dogs_vs_cats_stubs(root: Path, n_per_class: int = 2000) -> Path:
    """`root/datasets/dogs-vs-cats/train/{cat,dog}.{0..n_per_class-1}.jpg`."""
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 128, "uint8")).save(buffer, "JPEG")
    folder = root / "datasets" / "dogs-vs-cats" / "train"
    folder.mkdir(parents=True, exist_ok=True)
    for cls in ("cat", "dog"):
        for i in range(n_per_class):
            name = f"{cls}.{i}.jpg"
            (folder / name).write_bytes(buffer.getvalue() + name.encode())
    return folder
