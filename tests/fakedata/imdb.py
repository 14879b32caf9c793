"""IMDB: the raw reviews (aclImdb_v1.tar.gz, or an extracted aclImdb/ folder), the official
word index, and imdb.npz as Keras stores it."""

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


# -- an extracted aclImdb/ folder with a word index the tests choose (chapter 6) ---------------

# Word ranks as the official index gives them (1 = most frequent). load_data adds 3 (index_from)
# and keeps an index below num_words (10,000): "keep" (rank 9996 -> 9999) is the last kept,
# "cut" (9997 -> 10000) and "rare" (20000) become the OOV index 2. "absent" is in no index:
# dropped, as the official imdb.npz drops such words.
IMDB_VOCAB = [f"w{i}" for i in range(24)] + ["keep", "cut", "rare"]
IMDB_RANKS = {**{f"w{i}": i + 1 for i in range(24)}, "keep": 9996, "cut": 9997, "rare": 20000}
IMDB_INDEX_FROM, IMDB_START, IMDB_OOV, IMDB_NUM_WORDS = 3, 1, 2, 10000
IMDB_PER_CLASS = {"train": 130, "test": 20}  # 260 training reviews: smoke takes 200 of them


def write_imdb_folder(root: Path, seed=6) -> None:
    """datasets/aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt and imdb_word_index.json.

    Reviews of 3 to 90 words (some padded, some cut at maxlen 50), capitalised, with a comma and
    a full stop, and frequent "keep"/"cut"/"rare"/"absent" words so that the num_words cut shows.
    """
    rng = np.random.default_rng(seed)
    weights = np.ones(len(IMDB_VOCAB) + 1)
    weights[-4:] = 4.0  # keep, cut, rare, absent
    words = [*IMDB_VOCAB, "absent"]
    for subset, per_class in IMDB_PER_CLASS.items():
        for label in ("neg", "pos"):
            folder = root / "datasets" / "aclImdb" / subset / label
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                n = int(rng.integers(3, 91))
                review = list(rng.choice(words, n, p=weights / weights.sum()))
                review[0] = review[0].capitalize()
                if n > 4:
                    review[2] += ","
                rating = int(rng.integers(7, 11) if label == "pos" else rng.integers(1, 5))
                (folder / f"{i}_{rating}.txt").write_text(" ".join(review) + ".")
    index = root / "datasets" / "imdb_word_index.json"
    index.write_text(json.dumps({**IMDB_RANKS, "unused": 5000}))


# -- imdb.npz whose rows name their review (chapter 7) -------------------------------------------

TRAIN_MARK, TEST_MARK = 100, 700  # review i holds the word rank MARK + i once: its name
BEYOND_2000, BEYOND_10000 = 2500, 12000  # ranks past tensorboard's and callbacks' vocabularies


def write_imdb_npz(root: Path, n_train=400, n_test=40, seed=0) -> Path:
    """datasets/imdb.npz as Keras stores it (word ranks, before the loader's start character and
    offset of 3): common words of ranks 1..60, random labels, every 7th review longer than 500
    words, some words beyond each script's vocabulary."""
    rng = np.random.default_rng(seed)

    def split(n, mark):
        reviews = []
        for i in range(n):
            length = int(rng.integers(505, 540) if i % 7 == 3 else rng.integers(20, 80))
            words = rng.integers(1, 61, length).tolist()
            words[int(rng.integers(0, length))] = mark + i
            words[int(rng.integers(0, length))] = BEYOND_2000 if i % 3 else BEYOND_10000
            reviews.append(words)
        x = np.empty(n, dtype=object)
        x[:] = reviews
        return x, rng.integers(0, 2, n).astype("int64")

    (x_train, y_train), (x_test, y_test) = split(n_train, TRAIN_MARK), split(n_test, TEST_MARK)
    path = root / "datasets" / "imdb.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path
