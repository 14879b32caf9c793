"""Datasets, local first.

Where a file is looked for, in order:
  1. the data folder: `--data-dir`, else `$DLWP_DATA_DIR`;
  2. the repository's `data/` folder (where downloads and derived caches land).
Each folder is laid out like the Keras cache: `datasets/mnist.npz`, `models/<weights>.h5`, ...
A file that is in none of them is downloaded with `keras.utils.get_file` (official hash checked)
into the first writable one of those folders. When that fails too (no network), `UserError` says
which file is missing, where it was looked for, where it comes from, and how to provide it.

Local `.npz` files are read with NumPy and post-processed exactly as the Keras loaders do, so a
local copy whose zip headers differ from the official file (our MNIST rebuild) is still used.

Every loader records the files it read (see `used_sources`), so results can say what data they
came from. A data folder holding a file named `MADE_FOR_TESTS` is marked as such: its runs never
reach RESULTS.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlwp.errors import UserError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "data"
DATA_DIR_ENV = "DLWP_DATA_DIR"
OFFLINE_ENV = "DLWP_OFFLINE"  # set to 1 to never try a download
TEST_MARKER = "MADE_FOR_TESTS"

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class Remote:
    """Where a file comes from when it is not local; `file_hash` is Keras' (sha256 or md5)."""

    url: str
    file_hash: str | None = None


REMOTES = {
    "datasets/mnist.npz": Remote(
        KERAS_ORIGIN + "mnist.npz",
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    ),
    "datasets/imdb.npz": Remote(
        KERAS_ORIGIN + "imdb.npz",
        "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    ),
    "datasets/imdb_word_index.json": Remote(
        KERAS_ORIGIN + "imdb_word_index.json", "bfafd718b763782e994055a2d397834f"
    ),
    "datasets/reuters.npz": Remote(
        KERAS_ORIGIN + "reuters.npz",
        "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    ),
    "datasets/reuters_word_index.json": Remote(
        KERAS_ORIGIN + "reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921"
    ),
    "datasets/boston_housing.npz": Remote(
        KERAS_ORIGIN + "boston_housing.npz",
        "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
    ),
    # The raw reviews; the book downloads them by hand (section 6.1.3).
    "datasets/aclImdb_v1.tar.gz": Remote(
        "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
    ),
    "datasets/nietzsche.txt": Remote("https://s3.amazonaws.com/text-datasets/nietzsche.txt"),
}


# ---------------------------------------------------------------------------------------------
# Finding files


def data_roots(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched, in order: `data_dir` (else $DLWP_DATA_DIR), then the repo's data/."""
    roots = []
    chosen = data_dir or os.environ.get(DATA_DIR_ENV)
    if chosen:
        roots.append(Path(chosen).expanduser().resolve())
    default = Path(DEFAULT_DATA_DIR).resolve()
    if default not in roots:
        roots.append(default)
    return roots


def writable_root(data_dir=None) -> Path:
    """The first data folder we may write to (downloads, derived caches)."""
    for root in data_roots(data_dir):
        probe = root
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        # Mode bits too: root may write anywhere, but a folder without write bits is meant to be
        # left alone (../shared/datasets).
        if os.access(probe, os.W_OK) and probe.stat().st_mode & 0o222:
            return root
    raise UserError(
        f"no writable data folder among {', '.join(map(str, data_roots(data_dir)))}: "
        "pass --data-dir to a folder you can write to"
    )


_used: list[dict] = []


def used_sources(clear: bool = False) -> list[dict]:
    """The files the loaders have read since the last clear (for the results JSON)."""
    out = [dict(s) for s in _used]
    if clear:
        _used.clear()
    return out


def _record(path: Path, description: str) -> None:
    path = Path(path)
    made_for_tests = any((parent / TEST_MARKER).exists() for parent in path.parents)
    entry = {
        "file": str(path),
        "what": description,
        "kind": "made-for-tests" if made_for_tests else "real",
    }
    if all(e["file"] != entry["file"] for e in _used):
        _used.append(entry)


def record_source(path, description: str) -> None:
    """Note a file that a script read itself (e.g. an `--image`), so its results name it."""
    _record(Path(path).resolve(), description)


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0")


def locate(relpaths: str | list[str], data_dir=None) -> Path | None:
    """The first existing path among `relpaths`, trying every data root in turn (root-major)."""
    if isinstance(relpaths, str):
        relpaths = [relpaths]
    for root in data_roots(data_dir):
        for rel in relpaths:
            candidate = root / rel
            if candidate.exists():
                return candidate
    return None


def missing_message(relpaths: str | list[str], data_dir=None, reason: str = "") -> str:
    if isinstance(relpaths, str):
        relpaths = [relpaths]
    roots = ", ".join(str(r) for r in data_roots(data_dir))
    urls = [REMOTES[r].url for r in relpaths if r in REMOTES]
    msg = f"{' or '.join(relpaths)} not found in {roots}"
    if reason:
        msg += f"; {reason}"
    if urls:
        msg += f"; it comes from {' or '.join(urls)}"
    msg += " — put it there (Keras-cache layout)"
    msg += f" or point --data-dir / ${DATA_DIR_ENV} at a folder that has it"
    return msg


def download(relpath: str, data_dir=None) -> Path:
    """Download `relpath` with Keras into the writable data folder, or raise UserError."""
    remote = REMOTES[relpath]
    if _offline():
        raise UserError(missing_message(relpath, data_dir, f"downloads are off (${OFFLINE_ENV})"))
    import keras  # deferred: importing TensorFlow costs seconds

    target = writable_root(data_dir)
    rel = Path(relpath)
    try:
        path = keras.utils.get_file(
            fname=rel.name,
            origin=remote.url,
            file_hash=remote.file_hash,
            cache_dir=str(target),
            cache_subdir=str(rel.parent),
        )
    except Exception as exc:  # get_file raises bare Exception on network errors
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(missing_message(relpath, data_dir, f"download failed ({reason})")) from None
    return Path(path)


def find_file(relpath: str, data_dir=None, description: str | None = None) -> Path:
    """A local file (see module docstring), else downloaded, else UserError."""
    path = locate(relpath, data_dir)
    if path is None:
        if relpath not in REMOTES:
            raise UserError(missing_message(relpath, data_dir))
        path = download(relpath, data_dir)
    _record(path, description or Path(relpath).name)
    return path


def _load_npz(path: Path, keys: list[str], allow_pickle: bool = False) -> dict:
    try:
        with np.load(path, allow_pickle=allow_pickle) as f:
            missing = [k for k in keys if k not in f.files]
            if missing:
                raise UserError(
                    f"{path} is malformed: missing key(s) {missing} (has {f.files}); "
                    "replace it with the official file"
                )
            return {k: f[k] for k in keys}
    except UserError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise UserError(
            f"{path} cannot be read as .npz ({type(exc).__name__}: {exc}); "
            "delete it and download it again or replace it"
        ) from None


def _check(condition: bool, path: Path, what: str) -> None:
    if not condition:
        raise UserError(f"{path} is malformed: {what}; replace it with the official file")


# ---------------------------------------------------------------------------------------------
# MNIST, Boston housing


def load_mnist(data_dir=None):
    """`keras.datasets.mnist.load_data()`: ((x_train, y_train), (x_test, y_test)), uint8."""
    path = find_file("datasets/mnist.npz", data_dir, "MNIST")
    f = _load_npz(path, ["x_train", "y_train", "x_test", "y_test"])
    for split in ("train", "test"):
        x, y = f[f"x_{split}"], f[f"y_{split}"]
        _check(x.ndim == 3 and x.shape[1:] == (28, 28), path, f"x_{split} has shape {x.shape}")
        _check(y.shape == (len(x),), path, f"y_{split} has shape {y.shape} for {len(x)} images")
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def load_boston_housing(data_dir=None, test_split=0.2, seed=113):
    """`keras.datasets.boston_housing.load_data()`, same shuffle and split."""
    path = find_file("datasets/boston_housing.npz", data_dir, "Boston housing")
    f = _load_npz(path, ["x", "y"])
    x, y = f["x"], f["y"]
    _check(x.ndim == 2 and y.shape == (len(x),), path, f"x {x.shape} / y {y.shape}")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


# ---------------------------------------------------------------------------------------------
# Word-index sequence datasets: IMDB, Reuters


def _remove_long_seq(maxlen, seqs, labels):
    # Keras keeps sequences strictly shorter than maxlen; so do we.
    kept = [(s, y) for s, y in zip(seqs, labels) if len(s) < maxlen]
    return [s for s, _ in kept], [y for _, y in kept]


def _index_sequences(xs, start_char, index_from):
    """The shared tail of keras.datasets.imdb/reuters.load_data, on lists of word ranks."""
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    else:
        xs = [list(x) for x in xs]
    return xs


def _cut_vocabulary(xs, num_words, skip_top, oov_char):
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def _object_array(seqs):
    out = np.empty(len(seqs), dtype="object")
    out[:] = seqs
    return out


def load_word_index(name: str, data_dir=None) -> dict[str, int]:
    """`keras.datasets.<name>.get_word_index()`: word -> rank (1 = most frequent)."""
    path = find_file(f"datasets/{name}_word_index.json", data_dir, f"{name} word index")
    try:
        index = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is not a readable JSON word index ({exc})") from None
    _check(isinstance(index, dict) and index, path, "not a non-empty JSON object")
    return index


def load_reuters(
    data_dir=None,
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """`keras.datasets.reuters.load_data()` with the same arguments and semantics."""
    path = find_file("datasets/reuters.npz", data_dir, "Reuters newswires")
    f = _load_npz(path, ["x", "y"], allow_pickle=True)
    xs, labels = f["x"], f["y"]
    _check(len(xs) == len(labels), path, f"{len(xs)} sequences but {len(labels)} labels")
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs, labels = xs[indices], labels[indices]
    xs = _index_sequences(xs, start_char, index_from)
    if maxlen:
        xs, labels = _remove_long_seq(maxlen, xs, labels)
    xs = _cut_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (
        (_object_array(xs[:cut]), np.array(labels[:cut])),
        (_object_array(xs[cut:]), np.array(labels[cut:])),
    )


# IMDB from the raw reviews -------------------------------------------------------------------

# Keras' classic Tokenizer filter (keeps the apostrophe), with which the word index was built.
_KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_SPLIT_TABLE = str.maketrans({c: " " for c in _KERAS_FILTERS})


def text_to_word_sequence(text: str) -> list[str]:
    """Keras 2's `text_to_word_sequence`: lower-case, punctuation to spaces, split."""
    return text.lower().translate(_SPLIT_TABLE).split()


IMDB_SUBSETS = ("train", "test")
IMDB_LABELS = ("neg", "pos")  # label 0, label 1


def _review_key(name: str):
    stem = Path(name).stem  # "<id>_<rating>"
    try:
        return int(stem.split("_")[0])
    except ValueError:
        return stem


def find_imdb_raw(data_dir=None) -> Path:
    """The raw IMDB reviews: an extracted `datasets/aclImdb/` folder or `aclImdb_v1.tar.gz`."""
    path = locate(["datasets/aclImdb", "datasets/aclImdb_v1.tar.gz"], data_dir)
    if path is None:
        path = download("datasets/aclImdb_v1.tar.gz", data_dir)
    _record(path, "IMDB raw reviews (aclImdb)")
    return path


def load_imdb_reviews(subset: str = "train", data_dir=None) -> tuple[list[str], np.ndarray]:
    """Raw review texts and labels (0 = neg, 1 = pos) of `aclImdb/<subset>`, neg first, by id.

    Reads straight from the tarball when the folder is not extracted: nothing is written, so no
    member can escape the data folder.
    """
    if subset not in IMDB_SUBSETS:
        raise ValueError(f"subset must be one of {IMDB_SUBSETS}, not {subset!r}")
    source = find_imdb_raw(data_dir)
    return _read_reviews(source, [subset])[subset]


def _read_reviews(source: Path, subsets) -> dict[str, tuple[list[str], np.ndarray]]:
    found: dict[tuple[str, str], list[tuple[object, str]]] = {
        (s, lab): [] for s in subsets for lab in IMDB_LABELS
    }
    if source.is_dir():
        for s, lab in found:
            folder = source / s / lab
            if not folder.is_dir():
                raise UserError(f"{folder} is missing: {source} is not a complete aclImdb folder")
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
                        data = tar.extractfile(member).read()
                        found[key].append((_review_key(parts[3]), data.decode("utf-8")))
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise UserError(
                f"{source} is not a readable tar.gz archive ({type(exc).__name__}: {exc}); "
                "it may be truncated: download it again"
            ) from None
        except UnicodeDecodeError as exc:
            raise UserError(f"{source} holds a review that is not UTF-8 ({exc})") from None
    out = {}
    for s in subsets:
        texts, labels = [], []
        for label, lab in enumerate(IMDB_LABELS):
            reviews = sorted(found[(s, lab)], key=lambda r: (isinstance(r[0], str), r[0]))
            if not reviews:
                raise UserError(f"{source} has no reviews under aclImdb/{s}/{lab}/")
            texts += [text for _, text in reviews]
            labels += [label] * len(reviews)
        out[s] = (texts, np.array(labels, dtype="int64"))
    return out


def _fingerprint(path: Path) -> str:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt"))
        size = sum(p.stat().st_size for p in files)
        return f"dir:{len(files)}:{size}"
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _pack(seqs) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(s) for s in seqs], dtype="int64")
    flat = np.fromiter((w for s in seqs for w in s), dtype="int32", count=int(lengths.sum()))
    return flat, np.concatenate([[0], np.cumsum(lengths)])


def _unpack(flat, offsets) -> np.ndarray:
    return _object_array([flat[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])])


def build_imdb_from_raw(data_dir=None) -> tuple[Path, dict]:
    """Rebuild imdb.npz's content (word ranks, labels) from the raw reviews and the word index.

    Reviews are tokenized as the word index was built (see `text_to_word_sequence`); words that
    are not in the index are dropped, as in the official file. The result is cached in the writable
    data folder, keyed by the fingerprints of both sources.
    """
    raw = find_imdb_raw(data_dir)
    index_path = find_file("datasets/imdb_word_index.json", data_dir, "IMDB word index")
    key = f"{_fingerprint(raw)}|{_fingerprint(index_path)}"
    cache = writable_root(data_dir) / "datasets" / "imdb_from_aclImdb.npz"
    if cache.exists():
        try:
            with np.load(cache) as f:
                if str(f["key"]) == key:
                    return cache, {k: f[k] for k in f.files}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a broken cache is rebuilt below
    word_index = load_word_index("imdb", data_dir)
    reviews = _read_reviews(raw, IMDB_SUBSETS)
    arrays = {"key": np.array(key)}
    for subset, (texts, labels) in reviews.items():
        seqs = [[word_index[w] for w in text_to_word_sequence(t) if w in word_index] for t in texts]
        arrays[f"x_{subset}_flat"], arrays[f"x_{subset}_offsets"] = _pack(seqs)
        arrays[f"y_{subset}"] = labels
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, cache)
    return cache, arrays


def _imdb_ranks(data_dir):
    """Word-rank sequences as stored in imdb.npz: from the official file, else from raw reviews."""
    local = locate(
        ["datasets/imdb.npz", "datasets/aclImdb", "datasets/aclImdb_v1.tar.gz"], data_dir
    )
    if local is not None and local.name == "imdb.npz":
        path = local
    elif local is not None:
        _, f = build_imdb_from_raw(data_dir)
        return (
            (_unpack(f["x_train_flat"], f["x_train_offsets"]), f["y_train"]),
            (_unpack(f["x_test_flat"], f["x_test_offsets"]), f["y_test"]),
            "built from aclImdb raw reviews + imdb_word_index.json",
        )
    else:
        path = download("datasets/imdb.npz", data_dir)
    _record(path, "IMDB (Keras imdb.npz)")
    f = _load_npz(path, ["x_train", "y_train", "x_test", "y_test"], allow_pickle=True)
    for split in ("train", "test"):
        _check(len(f[f"x_{split}"]) == len(f[f"y_{split}"]), path, f"x_{split}/y_{split} lengths")
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"]), "Keras imdb.npz"


def load_imdb(
    data_dir=None,
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """`keras.datasets.imdb.load_data()` with the same arguments and semantics.

    Uses `imdb.npz` when present; otherwise rebuilds its content from the raw aclImdb reviews
    and the official word index (see `build_imdb_from_raw`). `used_sources()` says which.
    """
    (x_train, y_train), (x_test, y_test), _ = _imdb_ranks(data_dir)
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train, y_train = x_train[indices], y_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test, y_test = x_test[indices], y_test[indices]

    x_train = _index_sequences(x_train, start_char, index_from)
    x_test = _index_sequences(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = _remove_long_seq(maxlen, x_train, y_train)
        x_test, y_test = _remove_long_seq(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"no sequence is shorter than maxlen={maxlen}")
    xs = _cut_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    cut = len(x_train)
    return (_object_array(xs[:cut]), labels[:cut]), (_object_array(xs[cut:]), labels[cut:])


# ---------------------------------------------------------------------------------------------
# Plain files


def load_text(relpath: str, data_dir=None, description: str | None = None) -> str:
    """A UTF-8 text file from the data folder (e.g. `datasets/nietzsche.txt`)."""
    path = find_file(relpath, data_dir, description)
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not a readable UTF-8 text file ({exc})") from None


def read_bytes_checked(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path} ({exc})") from None


def load_image_array(path, target_size=None) -> np.ndarray:
    """An image file as a float32 (H, W, 3) array in [0, 255]; UserError when it does not decode."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(read_bytes_checked(path))) as img:
            img = img.convert("RGB")
            if target_size is not None:
                img = img.resize((target_size[1], target_size[0]), Image.BILINEAR)
            return np.asarray(img, dtype="float32")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise UserError(f"{path} is not a decodable image ({exc})") from None


# ---------------------------------------------------------------------------------------------
# Pretrained ImageNet weights (Keras applications), local first under models/

KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"

# (base, include_top) -> (Keras' file name, folder in the Keras bucket, Keras' md5 or None)
IMAGENET_WEIGHTS = {
    ("vgg16", True): (
        "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "vgg16",
        "64373286793e3c8b2b4e3219cbf3544b",
    ),
    ("vgg16", False): (
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "vgg16",
        "6d6bbae143d832006294945121d1f1fc",
    ),
    ("vgg19", True): (
        "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        "vgg19",
        "cbe5617147190e668d6c5d5026f83318",
    ),
    ("vgg19", False): (
        "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "vgg19",
        "253f8cb515780f3b799900260a226db6",
    ),
    ("inception_v3", True): (
        "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        "inception_v3",
        "9a0d58056eeedaa3f26cb7ebd46da564",
    ),
    ("inception_v3", False): (
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "inception_v3",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
    # MobileNet v1, alpha 0.25, 224x224: the small stand-in (Keras publishes no hash for it)
    ("mobilenet", True): ("mobilenet_2_5_224_tf.h5", "mobilenet", None),
    ("mobilenet", False): ("mobilenet_2_5_224_tf_no_top.h5", "mobilenet", None),
}
for (_base, _top), (_fname, _folder, _hash) in IMAGENET_WEIGHTS.items():
    REMOTES[f"models/{_fname}"] = Remote(f"{KERAS_APPLICATIONS}{_folder}/{_fname}", _hash)

REMOTES["datasets/images/creative_commons_elephant.jpg"] = Remote(
    "https://s3.amazonaws.com/book.keras.io/img/ch5/creative_commons_elephant.jpg"
)


def find_weights(base: str, include_top: bool, weights: str, data_dir=None) -> str | None:
    """Resolve a `--weights` value for a Keras application constructor's `weights=` argument.

    'imagenet': the Keras weights file of `base` under models/ (local first, else downloaded,
    else UserError); 'none': None, random initialization (smoke runs; never a reported result);
    anything else: a path to a weights file, which must exist.
    """
    if weights == "none":
        return None
    if weights == "imagenet":
        if (base, include_top) not in IMAGENET_WEIGHTS:
            raise UserError(f"no ImageNet weights are known for base {base!r}")
        fname = IMAGENET_WEIGHTS[(base, include_top)][0]
        top = "with" if include_top else "without"
        return str(find_file(f"models/{fname}", data_dir, f"{base} ImageNet weights ({top} top)"))
    path = Path(weights).expanduser()
    if not path.is_file():
        raise UserError(f"--weights {weights}: no such file; give 'imagenet', 'none' or a path")
    _record(path.resolve(), f"{base} weights")
    return str(path.resolve())


# ---------------------------------------------------------------------------------------------
# Chapter 5: Dogs vs. Cats (Kaggle originals and the book's small split), ImageNet class names

DOGS_VS_CATS_SOURCE = "datasets/dogs-vs-cats/train"  # Kaggle's train/ folder, flat: cat.0.jpg ...
DOGS_VS_CATS_CLASSES = ("cat", "dog")  # file prefixes; label 0, label 1 (folders: cats, dogs)


def find_dogs_vs_cats_source(n_per_class: int = 2000, data_dir=None) -> Path:
    """Kaggle's flat `train/` folder, checked to hold `{cat,dog}.{0..n_per_class-1}.jpg`.

    Kaggle needs a login, so there is no download: a missing folder or missing files raise a
    UserError naming them and how to provide them.
    """
    folder = locate(DOGS_VS_CATS_SOURCE, data_dir)
    if folder is None or not folder.is_dir():
        raise UserError(
            missing_message(
                DOGS_VS_CATS_SOURCE,
                data_dir,
                "it is Kaggle's Dogs vs. Cats train/ folder (cat.0.jpg ... dog.12499.jpg, "
                "https://www.kaggle.com/c/dogs-vs-cats/data, a login is needed)",
            )
        )
    names = {p.name for p in folder.iterdir()}
    missing = [
        f"{c}.{i}.jpg"
        for c in DOGS_VS_CATS_CLASSES
        for i in range(n_per_class)
        if f"{c}.{i}.jpg" not in names
    ]
    if missing:
        more = f", ... ({len(missing)} in all)" if len(missing) > 5 else ""
        shown = ", ".join(missing[:5]) + more
        raise UserError(
            f"{folder} is incomplete: {shown} missing; the book's split needs "
            f"cat.0-{n_per_class - 1}.jpg and dog.0-{n_per_class - 1}.jpg from Kaggle's train/"
        )
    _record(folder, "Dogs vs. Cats (Kaggle train/ originals)")
    return folder


def check_jpeg(path) -> None:
    """Decode `path` fully (at reduced scale, fast); UserError naming it when it does not."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(read_bytes_checked(path))) as img:
            if img.format != "JPEG":
                raise UserError(f"{path} is not a JPEG (it is {img.format}); replace it")
            img.draft("RGB", (64, 64))
            img.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise UserError(
            f"{path} is not a decodable JPEG ({exc}); replace it with the Kaggle original"
        ) from None


def dogs_vs_cats_small_dir(name: str = "cats_and_dogs_small", data_dir=None) -> Path:
    """Where the prepared split lives: a derived cache in the writable data folder."""
    return writable_root(data_dir) / "datasets" / name


def find_dogs_vs_cats_small(
    counts: dict[str, int], name: str = "cats_and_dogs_small", data_dir=None
) -> Path:
    """The prepared split `<name>/{train,validation,test}/{cats,dogs}/`, checked against `counts`
    (images per class per subset); UserError when it is missing or has other counts."""
    folder = locate(f"datasets/{name}", data_dir)
    if folder is None:
        raise UserError(
            missing_message(
                f"datasets/{name}",
                data_dir,
                "it is made by chapter05/dogs_vs_cats_prepare.py: run that first",
            )
        )
    for subset, n in counts.items():
        for cls in DOGS_VS_CATS_CLASSES:
            sub = folder / subset / f"{cls}s"
            found = len(list(sub.glob("*.jpg"))) if sub.is_dir() else 0
            if found != n:
                raise UserError(
                    f"{sub} holds {found} images, not {n}: run "
                    "chapter05/dogs_vs_cats_prepare.py again to rebuild it"
                )
    _record(folder, "Dogs vs. Cats, the book's small split (made from the Kaggle originals)")
    return folder


REMOTES["models/imagenet_class_index.json"] = Remote(
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
    "c2c37ea517e94d9795004a39431a14cb",
)


def load_imagenet_class_index(data_dir=None) -> list[tuple[str, str]]:
    """The 1000 ImageNet classes as (wordnet id, name), in the order of the models' outputs."""
    path = find_file("models/imagenet_class_index.json", data_dir, "ImageNet class names")
    try:
        index = json.loads(Path(path).read_text(encoding="utf-8"))
        return [tuple(index[str(i)]) for i in range(1000)]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise UserError(f"{path} is not Keras' imagenet_class_index.json ({exc!r})") from None


# ---- Chapter 6: Jena climate CSV, GloVe word vectors -------------------------------------------

JENA_CSV = "datasets/jena_climate_2009_2016.csv"
JENA_ZIP = "datasets/jena_climate_2009_2016.csv.zip"
REMOTES[JENA_ZIP] = Remote(
    "https://s3.amazonaws.com/keras-datasets/jena_climate_2009_2016.csv.zip"
)  # no official hash is published (Keras' timeseries example downloads it without one)
JENA_COLUMNS = (
    "Date Time",
    "p (mbar)",
    "T (degC)",
    "Tpot (K)",
    "Tdew (degC)",
    "rh (%)",
    "VPmax (mbar)",
    "VPact (mbar)",
    "VPdef (mbar)",
    "sh (g/kg)",
    "H2OC (mmol/mol)",
    "rho (g/m**3)",
    "wv (m/s)",
    "max. wv (m/s)",
    "wd (deg)",
)


def _extract_jena(archive: Path, data_dir=None) -> Path:
    """The CSV member of the Jena zip, written by name only (no path escapes) to the data folder."""
    name = Path(JENA_CSV).name
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [
                m
                for m in zf.namelist()
                if Path(m).name == name and not m.startswith("__MACOSX") and not m.endswith("/")
            ]
            if not members:
                raise UserError(f"{archive} holds no {name}; replace it with the official zip")
            data = zf.read(members[0])
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise UserError(
            f"{archive} is not a readable zip ({type(exc).__name__}: {exc}); download it again"
        ) from None
    target = writable_root(data_dir) / JENA_CSV
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target


def find_jena_csv(data_dir=None) -> Path:
    """`datasets/jena_climate_2009_2016.csv`; else extracted from the local or downloaded zip."""
    path = locate(JENA_CSV, data_dir)
    if path is None:
        archive = locate(JENA_ZIP, data_dir)
        if archive is None:
            try:
                archive = download(JENA_ZIP, data_dir)
            except UserError as exc:
                parts = str(exc).split("; ")  # keep download()'s reason, name both files
                reason = parts[1] if len(parts) > 2 else "download failed"
                raise UserError(missing_message([JENA_CSV, JENA_ZIP], data_dir, reason)) from None
        _record(archive, "Jena climate 2009-2016 (zip)")
        path = _extract_jena(archive, data_dir)
    _record(path, "Jena climate 2009-2016 CSV")
    return path


def load_jena(data_dir=None) -> tuple[list[str], np.ndarray]:
    """The Jena weather records: (the 14 measurement names, float64 array (rows, 14)).

    The book's parse of `jena_climate_2009_2016.csv` (section 6.3.1): the header must be the 15
    official columns; the "Date Time" column is dropped and every other value must be a number.
    """
    path = find_jena_csv(data_dir)
    try:
        with open(path, encoding="utf-8") as f:
            header = f.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not a readable UTF-8 CSV file ({exc})") from None
    names = tuple(c.strip().strip('"') for c in header.split(","))
    _check(
        names == JENA_COLUMNS,
        path,
        f"its header has {len(names)} columns {list(names)[:3]}..., expected the 15 Jena columns "
        f"{list(JENA_COLUMNS)[:3]}...",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": checked below
            data = np.loadtxt(
                path, delimiter=",", skiprows=1, usecols=range(1, len(JENA_COLUMNS)), ndmin=2
            )
    except ValueError as exc:
        raise UserError(f"{path} is malformed: {exc}; replace it with the official file") from None
    _check(len(data) > 0, path, "no data rows after the header")
    _check(bool(np.isfinite(data).all()), path, "some values are not finite numbers")
    return list(JENA_COLUMNS[1:]), data


GLOVE_TXT = "datasets/glove.6B.100d.txt"
GLOVE_ZIP_URL = "https://nlp.stanford.edu/data/glove.6B.zip"


def find_glove(path=None, data_dir=None) -> Path:
    """A GloVe text file: `path` when given, else `datasets/glove.6B.100d.txt` in the data folders.

    Not downloaded: it is one member of an 822 MB zip; the error says where to get it.
    """
    if path:
        found = Path(path).expanduser()
        if not found.is_file():
            raise UserError(f"--glove {path}: no such file; give the path to glove.6B.100d.txt")
    else:
        found = locate(GLOVE_TXT, data_dir)
        if found is None:
            raise UserError(
                missing_message(
                    GLOVE_TXT,
                    data_dir,
                    f"it is in {GLOVE_ZIP_URL} (822 MB; extract glove.6B.100d.txt), "
                    "or pass --glove PATH",
                )
            )
    found = found.resolve()
    _record(found, "GloVe word vectors")
    return found


# ---- Chapter 8: generative deep learning (CIFAR-10 frogs for the GAN) -------------------------

CIFAR10_FROG = 6  # CIFAR-10 label of "frog"
REMOTES["datasets/cifar-10-python.tar.gz"] = Remote(
    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
)


class _NumpyOnlyUnpickler:
    """Unpickle a CIFAR batch allowing NumPy array reconstruction only (no arbitrary code)."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }

    @classmethod
    def load(cls, data: bytes):
        import pickle

        class Restricted(pickle.Unpickler):
            def find_class(self, module, name):
                if (module, name) in cls.ALLOWED:
                    return super().find_class(module, name)
                raise pickle.UnpicklingError(f"forbidden global {module}.{name}")

        return Restricted(io.BytesIO(data), encoding="bytes").load()


def _cifar10_frogs_from_tar(path: Path) -> np.ndarray:
    """`x_train[y_train[:, 0] == 6]` of `keras.datasets.cifar10.load_data()`, from the tarball."""
    import pickle

    batches = {}
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                name = member.name.split("/")
                if member.isfile() and name[-1].startswith("data_batch_"):
                    batches[name[-1]] = _NumpyOnlyUnpickler.load(tar.extractfile(member).read())
    except (tarfile.TarError, EOFError, OSError, zlib.error, pickle.UnpicklingError) as exc:
        raise UserError(
            f"{path} is not a readable CIFAR-10 python archive ({type(exc).__name__}: {exc}); "
            "download it again"
        ) from None
    names = [f"data_batch_{i}" for i in range(1, 6)]
    _check(all(n in batches for n in names), path, f"has {sorted(batches)}, not {names}")
    frogs = []
    for n in names:
        batch = batches[n]
        _check(isinstance(batch, dict) and b"data" in batch and b"labels" in batch, path, n)
        data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
        _check(data.dtype == np.uint8 and data.ndim == 2 and data.shape[1] == 3072, path, n)
        _check(labels.shape == (len(data),), path, f"{n}: {len(labels)} labels")
        images = data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1)
        frogs.append(images[labels == CIFAR10_FROG])
    return np.concatenate(frogs)


def load_cifar10_frogs(data_dir=None) -> np.ndarray:
    """The CIFAR-10 training frogs, uint8 (n, 32, 32, 3), in Keras' order (5,000 in the real set).

    `datasets/cifar10_frogs.npz` (key `x_train`) when present; else the official
    `cifar-10-python.tar.gz` (local, else downloaded with Keras), label 6 selected.
    """
    rels = ["datasets/cifar10_frogs.npz", "datasets/cifar-10-python.tar.gz"]
    path = locate(rels, data_dir)
    if path is None and _offline():
        raise UserError(missing_message(rels, data_dir, f"downloads are off (${OFFLINE_ENV})"))
    if path is None:
        path = download("datasets/cifar-10-python.tar.gz", data_dir)
    if path.name.endswith(".npz"):
        _record(path, "CIFAR-10 training frogs (label 6)")
        x = _load_npz(path, ["x_train"])["x_train"]
    else:
        _record(path, "CIFAR-10 (frogs, label 6, selected)")
        x = _cifar10_frogs_from_tar(path)
    _check(x.dtype == np.uint8, path, f"x_train has dtype {x.dtype}, not uint8")
    _check(x.ndim == 4 and x.shape[1:] == (32, 32, 3), path, f"x_train has shape {x.shape}")
    _check(len(x) > 0, path, "no frog images")
    return x
