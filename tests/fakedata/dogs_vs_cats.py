"""Kaggle's Dogs vs. Cats train/ folder: tiny learnable JPEGs, or stubs at the book's size.

Photos (`write_dogs_vs_cats`): each one's background colour says what it is, so a test can
read the label and the file off the pixels that reached Keras, even after augmentation (which
moves pixels but keeps their colours): cats are reddish, dogs bluish (the label: red against
blue), and the green level is the file's index (`GREEN0 + GREEN_STEP * i`). A dark square off
the centre, and light noise, make every transformation (flip, shift, rotation, zoom) visible.
`photo_names` reads the files back off such pixels.

Stubs: one small JPEG copied, each copy with its own file name appended after the JPEG's end
marker (decoders stop there), so every file decodes and every file differs: a split that put a
photo in the wrong place shows.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

N_PER_CLASS = 12  # the smoke split needs 6 + 3 + 3 per class
RED, BLUE = 190, 70  # a cat's red and blue; a dog's are swapped
GREEN0, GREEN_STEP = 30, 12  # photo i's green: 30, 42, ... 162 for the 12 of each class
NOISE = 6  # the light noise's standard deviation


def background(cls: str, i: int) -> tuple[int, int, int]:
    """The colour of `<cls>.<i>.jpg`'s background."""
    red, blue = (RED, BLUE) if cls == "cat" else (BLUE, RED)
    return (red, GREEN0 + GREEN_STEP * i, blue)


def photo(path: Path, rgb, size, seed=0) -> Path:
    """A JPEG of (width, height) = `size`: `rgb` with light noise, a dark square off centre."""
    width, height = size
    rng = np.random.default_rng(seed)
    pixels = np.clip(rng.normal(rgb, NOISE, (height, width, 3)), 0, 255)
    pixels[height // 5 : height // 2, width // 5 : width // 2] = 20
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype("uint8")).save(path, "JPEG", quality=90)
    return path


def write_dogs_vs_cats(root: Path, n_per_class: int = N_PER_CLASS) -> Path:
    """Kaggle's flat train/ folder: `cat.<i>.jpg` (40+i x 34 pixels) and `dog.<i>.jpg` (34 x
    40+i), coloured as `background` says (learnable: red against blue)."""
    assert GREEN0 + GREEN_STEP * (n_per_class - 1) <= 255 - 3 * NOISE, "too many to colour apart"
    folder = root / "datasets" / "dogs-vs-cats" / "train"
    for i in range(n_per_class):
        photo(folder / f"cat.{i}.jpg", background("cat", i), (40 + i, 34), seed=i)
        photo(folder / f"dog.{i}.jpg", background("dog", i), (34, 40 + i), seed=100 + i)
    return folder


def photo_names(images) -> list[str]:
    """The file each of `images` (n, h, w, 3) in [0, 255] was made from, read off its colours
    (the median of each channel: the background's, wherever augmentation moved it)."""
    medians = np.median(np.asarray(images, dtype="float32").reshape(len(images), -1, 3), axis=1)
    names = []
    for red, green, blue in medians:
        index = int(round((green - GREEN0) / GREEN_STEP))
        assert abs(green - (GREEN0 + GREEN_STEP * index)) < GREEN_STEP / 3, f"green {green}"
        assert abs(red - blue) > (RED - BLUE) / 2, f"neither reddish nor bluish: {red}, {blue}"
        names.append(f"{'cat' if red > blue else 'dog'}.{index}.jpg")
    return names


def write_dogs_vs_cats_stubs(root: Path, n_per_class: int = 2000) -> Path:
    """`root/datasets/dogs-vs-cats/train/{cat,dog}.{0..n_per_class-1}.jpg` (32x32 pixels, the
    smallest photo the loaders accept)."""
    buffer = io.BytesIO()
    Image.fromarray(np.full((32, 32, 3), 128, "uint8")).save(buffer, "JPEG")
    folder = root / "datasets" / "dogs-vs-cats" / "train"
    folder.mkdir(parents=True, exist_ok=True)
    for cls in ("cat", "dog"):
        for i in range(n_per_class):
            name = f"{cls}.{i}.jpg"
            (folder / name).write_bytes(buffer.getvalue() + name.encode())
    return folder


# The smoke split (6 / 3 / 3 photos per class), drawn from the folder as the book draws its
# 1000 / 500 / 500: consecutive indices, training first (0-999, 1000-1499, 1500-1999).
SMOKE_INDICES = {"train": range(0, 6), "validation": range(6, 9), "test": range(9, 12)}


def smoke_split_names(subset: str) -> list[str]:
    """The photos of a subset of the smoke split, sorted by name."""
    return sorted(f"{cls}.{i}.jpg" for cls in ("cat", "dog") for i in SMOKE_INDICES[subset])


def label_of(name: str) -> int:
    """The book's labels (flow_from_directory's classes, alphabetical): cats 0, dogs 1."""
    return {"cat": 0, "dog": 1}[name.split(".")[0]]
