"""Reading data files defensively: every failure is a `BadData` naming the file."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from dlwp.errors import BadData


def check(condition: bool, path, what: str, name=None) -> None:
    if not condition:
        raise BadData(path, f"malformed: {what}", name=name)


def check_pixels(x, path, key: str, name=None) -> None:
    """uint8 pixels, as the official files store them (0-255 by the dtype itself): a float
    array (scaled twice, say, or x1000) would train on the wrong scale without a word."""
    check(
        x.dtype == np.uint8,
        path,
        f"{key} has dtype {x.dtype}; the official pixels are uint8 (0-255)",
        name,
    )


def check_labels(y, path, key: str, classes: int, name=None) -> None:
    """Integer class labels 0..classes-1."""
    check(
        np.issubdtype(y.dtype, np.integer),
        path,
        f"{key} has dtype {y.dtype}; labels are integers 0-{classes - 1}",
        name,
    )
    if len(y):
        low, high = int(y.min()), int(y.max())
        check(
            low >= 0 and high < classes,
            path,
            f"{key} holds labels {low}..{high}; this dataset's are 0-{classes - 1}",
            name,
        )


def check_finite(x, path, key: str, name=None) -> None:
    """Real numbers, every one finite."""
    check(
        np.issubdtype(x.dtype, np.number) and not np.issubdtype(x.dtype, np.complexfloating),
        path,
        f"{key} has dtype {x.dtype}; expected numbers",
        name,
    )
    bad = int(np.size(x) - np.isfinite(x).sum())
    check(bad == 0, path, f"{key} holds {bad} NaN or infinite value(s)", name)


def check_word_ids(sequences, path, key: str, name=None) -> None:
    """Sequences of word ranks: lists of non-negative integers."""
    for i, seq in enumerate(sequences):
        arr = np.asarray(seq)
        if arr.size and (not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0):
            check(False, path, f"{key}[{i}] is not a list of word ranks (ints >= 0)", name)


def check_word_index(index, path, name=None) -> None:
    """word -> rank: a non-empty object of positive integer ranks, no rank used twice."""
    check(isinstance(index, dict) and bool(index), path, "not a non-empty JSON object", name)
    bad = [w for w, r in index.items() if not isinstance(r, int) or isinstance(r, bool) or r < 1]
    check(
        not bad,
        path,
        f"{len(bad)} word(s) without a positive integer rank, e.g. {bad[0]!r}" if bad else "",
        name,
    )
    check(
        len(set(index.values())) == len(index),
        path,
        f"{len(index) - len(set(index.values()))} rank(s) given to more than one word",
        name,
    )


def load_npz(path: Path, keys: list[str], allow_pickle: bool = False, name=None) -> dict:
    """The arrays `keys` of an .npz file, read with NumPy (not the Keras downloader, so a local
    copy whose zip headers differ from the official file is still used)."""
    try:
        with np.load(path, allow_pickle=allow_pickle) as f:
            missing = [k for k in keys if k not in f.files]
            check(not missing, path, f"missing key(s) {missing} (has {f.files})", name)
            return {k: f[k] for k in keys}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise BadData(
            path,
            f"cannot be read as .npz ({type(exc).__name__}: {exc})",
            "delete it and download it again, or replace it",
            name=name,
        ) from None


def load_json(path: Path, name=None):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadData(path, f"not readable JSON ({exc})", name=name) from None


def read_text(path: Path, name=None) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadData(path, f"not a readable UTF-8 text file ({exc})", name=name) from None


def read_bytes(path: Path, name=None) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BadData(path, f"cannot be read ({exc.strerror or exc})", name=name) from None
