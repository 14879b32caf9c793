"""Reuters newswires: `keras.datasets.reuters.load_data()` and `get_word_index()`, local first."""

from __future__ import annotations

import numpy as np

from dlwp.data import word_sequences as ws
from dlwp.data.core import DataFolders
from dlwp.data.formats import check, check_labels, check_word_ids, load_npz

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"


def load_data(
    data: DataFolders,
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """The same arguments and semantics as Keras'."""
    path = data.fetch("datasets/reuters.npz", ORIGIN + "reuters.npz", SHA256, "Reuters newswires")
    name = data.name(path)
    f = load_npz(path, ["x", "y"], allow_pickle=True, name=name)
    xs, labels = f["x"], f["y"]
    check(len(xs) == len(labels), path, f"{len(xs)} sequences but {len(labels)} labels", name)
    check(len(xs) >= 5, path, f"{len(xs)} newswires: too few to split", name)
    check_labels(labels, path, "y", 46, name)
    check_word_ids(xs, path, "x", name)
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs, labels = xs[indices], labels[indices]
    xs = ws.add_offsets(xs, start_char, index_from)
    if maxlen:
        xs, labels = ws.remove_long(maxlen, xs, labels)
    xs = ws.cut_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (
        (ws.object_array(xs[:cut]), np.array(labels[:cut])),
        (ws.object_array(xs[cut:]), np.array(labels[cut:])),
    )


def get_word_index(data: DataFolders) -> dict[str, int]:
    return ws.load_word_index(
        data,
        "datasets/reuters_word_index.json",
        ORIGIN + "reuters_word_index.json",
        WORD_INDEX_MD5,
        "Reuters word index",
    )
