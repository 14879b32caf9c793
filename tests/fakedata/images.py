"""JPEGs: any photo (a noisy one around a colour), and the book's test photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def jpeg(path: Path, rgb_mean, size=(40, 30), seed=0) -> Path:
    """A small noisy JPEG (width, height) around a mean color."""
    rng = np.random.default_rng(seed)
    pixels = np.clip(rng.normal(rgb_mean, 40, (size[1], size[0], 3)), 0, 255).astype("uint8")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, "JPEG", quality=85)
    return path


def write_elephant(root: Path, size=(40, 30)) -> Path:
    return jpeg(
        root / "datasets" / "images" / "creative_commons_elephant.jpg", (120, 110, 100), size
    )


def write_style_images(root: Path) -> Path:
    """The content photo and the style painting of chapter 8's style transfer."""
    images = root / "datasets" / "images"
    jpeg(images / "Tubingen.jpg", (140, 120, 100), (64, 48), seed=2)
    return jpeg(images / "transfer_style_reference.jpg", (60, 80, 160), (70, 50), seed=3)
