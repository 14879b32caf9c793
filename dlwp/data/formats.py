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
