"""GloVe: datasets/glove.6B.100d.txt, one "word v1 ... v100" line per word."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fakedata.imdb import IMDB_WORDS


def glove_words() -> list[str]:
    """The tokens TextVectorization makes of the fake IMDB reviews (lower case, no punctuation)."""
    extra = {"this", "well", "end", "unknownword"}
    return sorted({w.replace("'", "") for w in IMDB_WORDS} | extra)


def write_glove(root: Path, words=None, dim=100, seed=0, path=None) -> tuple[Path, dict]:
    """A GloVe-format text file ("word v1 ... vdim" per line) at datasets/glove.6B.100d.txt (or
    `path`); returns it and its vectors."""
    rng = np.random.default_rng(seed)
    words = glove_words() if words is None else words
    vectors = {w: np.round(rng.normal(0, 1, dim), 5).astype("float32") for w in words}
    path = Path(path) if path else root / "datasets" / "glove.6B.100d.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for w, v in vectors.items():
            f.write(w + " " + " ".join(f"{x:.5f}" for x in v) + "\n")
    return path, vectors
