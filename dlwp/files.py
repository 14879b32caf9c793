"""File helpers every layer uses: the repository's root, writes that readers never see half
done, and a lock for building one cache entry at a time."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def atomic_write(target: Path, write) -> Path:
    """Call `write(tmp_path)`, then move it onto `target`: readers never see half a file, and
    the temporary name is unique to this process and call, so concurrent writers never clash."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


class cache_lock:
    """An exclusive lock on `<path>.lock` while a cache entry is built: a second builder waits,
    then finds the finished entry. (Where `fcntl` is missing, e.g. Windows, no lock is taken.)"""

    def __init__(self, path: Path):
        self.path = Path(path).with_name(f".{Path(path).name}.lock")

    def __enter__(self):
        self.file = open(self.path, "a")
        try:
            import fcntl

            fcntl.flock(self.file, fcntl.LOCK_EX)
        except ImportError:
            pass
        return self

    def __exit__(self, *exc):
        self.file.close()  # closing releases the lock
