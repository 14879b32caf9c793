"""JPEGs: a tiny Kaggle Dogs vs. Cats folder, the book's test photos, an ImageNet class index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

N_PER_CLASS = 12  # the smoke split needs 6 + 3 + 3 per class


def jpeg(path: Path, rgb_mean, size=(40, 30), seed=0) -> Path:
    """A small noisy JPEG (width, height) around a mean color."""
    rng = np.random.default_rng(seed)
    pixels = np.clip(rng.normal(rgb_mean, 40, (size[1], size[0], 3)), 0, 255).astype("uint8")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, "JPEG", quality=85)
    return path


def write_dogs_vs_cats(root: Path, n_per_class: int = N_PER_CLASS) -> Path:
    """Kaggle's flat train/ folder: cats reddish, dogs bluish (learnable)."""
    folder = root / "datasets" / "dogs-vs-cats" / "train"
    for i in range(n_per_class):
        jpeg(folder / f"cat.{i}.jpg", (170, 90, 60), (40 + i, 30), seed=i)
        jpeg(folder / f"dog.{i}.jpg", (60, 90, 170), (30, 40 + i), seed=100 + i)
    return folder


def write_elephant(root: Path, size=(40, 30)) -> Path:
    return jpeg(
        root / "datasets" / "images" / "creative_commons_elephant.jpg", (120, 110, 100), size
    )


def write_style_images(root: Path) -> Path:
    """The content photo and the style painting of chapter 8's style transfer."""
    images = root / "datasets" / "images"
    jpeg(images / "Tubingen.jpg", (140, 120, 100), (64, 48), seed=2)
    return jpeg(images / "transfer_style_reference.jpg", (60, 80, 160), (70, 50), seed=3)


def write_class_index(root: Path) -> Path:
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    index["386"] = ["n02504458", "African_elephant"]
    path = root / "models" / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    return path
