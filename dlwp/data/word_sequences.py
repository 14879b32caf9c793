"""What `keras.datasets.imdb` and `reuters` do to word-rank sequences after loading them."""

from __future__ import annotations

import numpy as np

from dlwp.data.core import DataFolders
from dlwp.data.formats import check_word_index, load_json


def remove_long(maxlen, seqs, labels):
    """Keras keeps sequences strictly shorter than maxlen; so do we."""
    kept = [(s, y) for s, y in zip(seqs, labels) if len(s) < maxlen]
    return [s for s, _ in kept], [y for _, y in kept]


def add_offsets(xs, start_char, index_from):
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def cut_vocabulary(xs, num_words, skip_top, oov_char):
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(seqs):
    out = np.empty(len(seqs), dtype="object")
    out[:] = seqs
    return out


def load_word_index(data: DataFolders, relpath: str, url: str, file_hash: str, what: str):
    """`keras.datasets.<name>.get_word_index()`: word -> rank (1 = most frequent)."""
    path = data.fetch(relpath, url, file_hash, what)
    index = load_json(path, data.name(path))
    check_word_index(index, path, data.name(path))
    return index
