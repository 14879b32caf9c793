"""Reuters newswires: datasets/reuters.npz (object arrays of word ids) and its word index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


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
