"""The Keras datasets of chapters 2-3 (MNIST, Boston, Reuters) and the raw IMDB reviews."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np


def write_mnist(root: Path, n_train=300, n_test=100, seed=0) -> Path:
    """Digits whose label is drawn as a bright bar at row 2*label: learnable, tiny."""
    rng = np.random.default_rng(seed)

    def make(n):
        y = rng.integers(0, 10, n).astype("uint8")
        x = rng.integers(0, 60, (n, 28, 28)).astype("uint8")
        for i, label in enumerate(y):
            x[i, 2 * label + 4, 4:24] = 255
        return x, y

    (x_train, y_train), (x_test, y_test) = make(n_train), make(n_test)
    path = root / "datasets" / "mnist.npz"
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def write_boston(root: Path, n=80, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 3.0, (n, 13))
    y = 20 + x[:, 0] * 2 + rng.normal(0, 1, n)
    path = root / "datasets" / "boston_housing.npz"
    np.savez(path, x=x, y=y)
    return path


def _object_array(seqs):
    out = np.empty(len(seqs), dtype="object")
    out[:] = seqs
    return out


def write_reuters(root: Path, n=400, vocab=3000, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    seqs = [rng.integers(1, vocab, rng.integers(5, 60)).tolist() for _ in range(n)]
    labels = rng.integers(0, 46, n).astype("int64")
    path = root / "datasets" / "reuters.npz"
    np.savez(path, x=_object_array(seqs), y=labels)
    words = {f"word{i}": i for i in range(1, vocab)}
    (root / "datasets" / "reuters_word_index.json").write_text(json.dumps(words))
    return path


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
