"""IMDB reviews: `keras.datasets.imdb.load_data()` and `get_word_index()`, local first.

Without `imdb.npz`, the same word-rank sequences are rebuilt from the raw reviews
(`aclImdb_v1.tar.gz`, or an extracted `aclImdb/`) and the official `imdb_word_index.json`,
tokenized as the index was built, and cached in the cache folder, keyed by both sources' hashes.
The reviews are read straight from the tarball: nothing is extracted, so no member can escape.
The rebuild holds the same sequences as imdb.npz but in another order (by review id), so the
seed-113 shuffle puts other reviews in each split.
"""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from dlwp.data import word_sequences as ws
from dlwp.data.core import DataFolders
from dlwp.data.formats import check, check_labels, check_word_ids, load_npz
from dlwp.errors import BadData
from dlwp.files import atomic_write

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
NPZ_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"
RAW_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"  # book, 6.1.3
NPZ, RAW_DIR, RAW_TAR = "datasets/imdb.npz", "datasets/aclImdb", "datasets/aclImdb_v1.tar.gz"
CACHE = "datasets/imdb_from_aclImdb.npz"
SUBSETS = ("train", "test")
LABELS = ("neg", "pos")  # label 0, label 1

# Keras' classic Tokenizer filter (keeps the apostrophe), with which the word index was built.
_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_SPLIT_TABLE = str.maketrans({c: " " for c in _FILTERS})


def text_to_word_sequence(text: str) -> list[str]:
    """Keras 2's `text_to_word_sequence`: lower-case, punctuation to spaces, split."""
    return text.lower().translate(_SPLIT_TABLE).split()


def get_word_index(data: DataFolders) -> dict[str, int]:
    return ws.load_word_index(
        data,
        "datasets/imdb_word_index.json",
        ORIGIN + "imdb_word_index.json",
        WORD_INDEX_MD5,
        "IMDB word index",
    )


# -- the raw reviews ------------------------------------------------------------------------------


def find_raw(data: DataFolders) -> Path:
    """An extracted `datasets/aclImdb/` folder, else `aclImdb_v1.tar.gz` (local or downloaded)."""
    path = data.locate(RAW_DIR, RAW_TAR)
    if path is None:
        path = data.download(RAW_TAR, RAW_URL)
    data.record(path, "IMDB raw reviews (aclImdb)")
    return path


def load_reviews(data: DataFolders, subset: str = "train") -> tuple[list[str], np.ndarray]:
    """Raw review texts and labels (0 = neg, 1 = pos) of `aclImdb/<subset>`, neg first, by id."""
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}, not {subset!r}")
    source = find_raw(data)
    return _read_reviews(source, [subset], data.name(source))[subset]


def _review_key(name: str):
    stem = Path(name).stem  # "<id>_<rating>"
    try:
        return int(stem.split("_")[0])
    except ValueError:
        return stem


def _read_reviews(source: Path, subsets, name) -> dict[str, tuple[list[str], np.ndarray]]:
    found = {(s, lab): [] for s in subsets for lab in LABELS}
    if source.is_dir():
        for s, lab in found:
            folder = source / s / lab
            if not folder.is_dir():
                raise BadData(
                    source, f"{s}/{lab}/ is missing", "extract the complete archive", name
                )
            for f in folder.glob("*.txt"):
                found[(s, lab)].append((_review_key(f.name), f.read_text(encoding="utf-8")))
    else:
        try:
            with tarfile.open(source, "r:*") as tar:
                for member in tar:
                    parts = member.name.split("/")
                    if not member.isfile() or len(parts) != 4 or parts[0] != "aclImdb":
                        continue
                    key = (parts[1], parts[2])
                    if key in found and parts[3].endswith(".txt"):
                        text = tar.extractfile(member).read().decode("utf-8")
                        found[key].append((_review_key(parts[3]), text))
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise BadData(
                source,
                f"not a readable tar.gz archive ({type(exc).__name__}: {exc}); it may be truncated",
                "download it again",
                name,
            ) from None
        except UnicodeDecodeError as exc:
            raise BadData(source, f"holds a review that is not UTF-8 ({exc})", name=name) from None
    out = {}
    for s in subsets:
        texts, labels = [], []
        for label, lab in enumerate(LABELS):
            reviews = sorted(found[(s, lab)], key=lambda r: (isinstance(r[0], str), r[0]))
            check(bool(reviews), source, f"no reviews under aclImdb/{s}/{lab}/", name)
            texts += [text for _, text in reviews]
            labels += [label] * len(reviews)
        out[s] = (texts, np.array(labels, dtype="int64"))
    return out


# -- the rebuild of imdb.npz ----------------------------------------------------------------------


REBUILD_VERSION = 1  # part of the cache key: a change to how reviews become ranks rebuilds it


def _fingerprint(path: Path) -> str:
    """What a rebuild was made from: a file's sha256, or an extracted folder's every review by
    name, size and modification time (a review moved from pos/ to neg/ changes it)."""
    if path.is_dir():
        h = hashlib.sha256()
        for p in sorted(path.rglob("*.txt")):
            st = p.stat()
            h.update(f"{p.relative_to(path).as_posix()}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        return "dir:" + h.hexdigest()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _pack(seqs):
    lengths = np.array([len(s) for s in seqs], dtype="int64")
    flat = np.fromiter((w for s in seqs for w in s), dtype="int32", count=int(lengths.sum()))
    return flat, np.concatenate([[0], np.cumsum(lengths)])


def _unpack(flat, offsets):
    return ws.object_array([flat[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])])


def _read_cache(path: Path, key: str) -> dict | None:
    """The cached arrays when they were made from these sources and are whole; else None."""
    try:
        with np.load(path) as f:
            if str(f["key"]) != key:
                return None
            arrays = {k: f[k] for k in f.files}
        for s in SUBSETS:
            offsets = arrays[f"x_{s}_offsets"]
            if (
                offsets[-1] != len(arrays[f"x_{s}_flat"])
                or len(offsets) != len(arrays[f"y_{s}"]) + 1
            ):
                return None
        return arrays
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error):
        return None  # a broken or half-written cache is rebuilt, never trusted


def build_from_raw(data: DataFolders) -> dict:
    """imdb.npz's content (word ranks, labels) rebuilt from the raw reviews and the word index.

    Words that are not in the index are dropped, as in the official file.
    """
    raw = find_raw(data)
    index_path = data.fetch(
        "datasets/imdb_word_index.json",
        ORIGIN + "imdb_word_index.json",
        WORD_INDEX_MD5,
        "IMDB word index",
    )
    key = f"v{REBUILD_VERSION}|{_fingerprint(raw)}|{_fingerprint(index_path)}"
    cache = data.cache_dir("datasets") / Path(CACHE).name
    if cache.exists():
        arrays = _read_cache(cache, key)
        if arrays is not None:
            return arrays
    word_index = get_word_index(data)
    arrays = {"key": np.array(key)}
    for subset, (texts, labels) in _read_reviews(raw, SUBSETS, data.name(raw)).items():
        seqs = [[word_index[w] for w in text_to_word_sequence(t) if w in word_index] for t in texts]
        arrays[f"x_{subset}_flat"], arrays[f"x_{subset}_offsets"] = _pack(seqs)
        arrays[f"y_{subset}"] = labels

    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    atomic_write(cache, write)
    return arrays


def _ranks(data: DataFolders):
    """Word-rank sequences as stored in imdb.npz: from the official file, else from raw reviews."""
    local = data.locate(NPZ, RAW_DIR, RAW_TAR)
    if local is not None and local.name != "imdb.npz":
        f = build_from_raw(data)
        return (
            (_unpack(f["x_train_flat"], f["x_train_offsets"]), f["y_train"]),
            (_unpack(f["x_test_flat"], f["x_test_offsets"]), f["y_test"]),
        )
    if local is None and data.offline:  # name every file that would do
        raise data.missing(
            [NPZ, RAW_TAR, RAW_DIR], ORIGIN + "imdb.npz", "downloads are off: $DLWP_OFFLINE"
        )
    path = local or data.download(NPZ, ORIGIN + "imdb.npz", NPZ_SHA256)
    data.record(path, "IMDB (Keras imdb.npz)")
    name = data.name(path)
    f = load_npz(path, ["x_train", "y_train", "x_test", "y_test"], allow_pickle=True, name=name)
    for s in SUBSETS:
        check(len(f[f"x_{s}"]) == len(f[f"y_{s}"]), path, f"x_{s}/y_{s} lengths differ", name)
        check(len(f[f"x_{s}"]) > 0, path, f"x_{s} holds no reviews", name)
        check_labels(f[f"y_{s}"], path, f"y_{s}", 2, name)
        check_word_ids(f[f"x_{s}"], path, f"x_{s}", name)
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def load_data(
    data: DataFolders,
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """The same arguments and semantics as Keras'. `data.read` says which source was used."""
    (x_train, y_train), (x_test, y_test) = _ranks(data)
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train, y_train = x_train[indices], y_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test, y_test = x_test[indices], y_test[indices]

    x_train = ws.add_offsets(x_train, start_char, index_from)
    x_test = ws.add_offsets(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = ws.remove_long(maxlen, x_train, y_train)
        x_test, y_test = ws.remove_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"no sequence is shorter than maxlen={maxlen}")
    xs = ws.cut_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    cut = len(x_train)
    return (ws.object_array(xs[:cut]), labels[:cut]), (ws.object_array(xs[cut:]), labels[cut:])
