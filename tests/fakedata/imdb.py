"""IMDB: the raw reviews (aclImdb_v1.tar.gz) and the official word index."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np

IMDB_WORDS = [
    "the",
    "and",
    "a",
    "of",
    "to",
    "is",
    "br",
    "in",
    "it",
    "i",
    "this",
    "that",
    "was",
    "as",
    "movie",
    "film",
    "it's",
    "good",
    "bad",
    "great",
    "awful",
    "love",
    "boring",
    "fun",
]
POSITIVE = ["good", "great", "love", "fun"]
NEGATIVE = ["bad", "awful", "boring"]


def imdb_word_index() -> dict:
    return {w: i + 1 for i, w in enumerate(IMDB_WORDS)}


def imdb_review(rng, positive: bool) -> str:
    words = rng.choice(IMDB_WORDS[:17], rng.integers(8, 40)).tolist()
    words += rng.choice(POSITIVE if positive else NEGATIVE, 3).tolist()
    rng.shuffle(words)
    words.insert(3, "unknownword")  # not in the index: dropped by the loader
    return "This " + " ".join(words) + ". <br /><br />It's, well (the end)!"


def write_imdb_raw(root: Path, per_class=160, seed=0) -> Path:
    """aclImdb_v1.tar.gz with {train,test}/{pos,neg}/<id>_<rating>.txt, and the word index."""
    rng = np.random.default_rng(seed)
    path = root / "datasets" / "aclImdb_v1.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for subset in ("train", "test"):
            for label in ("neg", "pos"):
                for i in range(per_class):
                    rating = int(rng.integers(7, 11) if label == "pos" else rng.integers(1, 5))
                    data = imdb_review(rng, label == "pos").encode("utf-8")
                    info = tarfile.TarInfo(f"aclImdb/{subset}/{label}/{i}_{rating}.txt")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    (root / "datasets" / "imdb_word_index.json").write_text(json.dumps(imdb_word_index()))
    return path
