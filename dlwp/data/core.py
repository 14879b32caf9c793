"""Where data files are found, downloaded and cached, and the record of what a run read.

The folders are resolved once, into one `DataFolders` value that is handed to every loader:

  sources  `--data-dir`, else `$DLWP_DATA_DIR`: folders the user points at. Read, never written,
           whatever their permission bits.
  cache    the repository's `data/`, or `$DLWP_CACHE_DIR`: downloads and derived files (the IMDB
           rebuild, the Dogs-vs-Cats split, extracted archives) go here, and only here.

Every folder is laid out like the Keras cache (`datasets/mnist.npz`, `models/<weights>.h5`) and
searched in that order: sources first, then the cache. A family module (`dlwp.data.mnist`, ...)
names its own remote file where it asks for it, as `keras.datasets.mnist` does:

    path = data.fetch("datasets/mnist.npz", MNIST_URL, MNIST_SHA256, "MNIST")

A folder holding a file named `MADE_FOR_TESTS` is marked as such: runs that read from it never
reach RESULTS.md.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from dlwp.errors import MissingData, UserError
from dlwp.files import REPO_ROOT

DATA_DIR_ENV = "DLWP_DATA_DIR"
CACHE_DIR_ENV = "DLWP_CACHE_DIR"
OFFLINE_ENV = "DLWP_OFFLINE"  # 1: never try a download
TEST_MARKER = "MADE_FOR_TESTS"


@dataclass(frozen=True)
class Folder:
    path: Path
    label: str  # what chose it, as results name it: "--data-dir", "$DLWP_DATA_DIR", "data/"


@dataclass
class DataFolders:
    """The data folders of one run, and the files it read from them (`read`)."""

    sources: tuple[Folder, ...]
    cache: Folder
    offline: bool = False
    read: list[dict] = field(default_factory=list)

    @classmethod
    def resolve(cls, data_dir=None, environ=None) -> DataFolders:
        env = os.environ if environ is None else environ
        sources = []
        if data_dir is not None:
            sources.append(Folder(_readable_folder(data_dir, "--data-dir"), "--data-dir"))
        elif env.get(DATA_DIR_ENV):
            label = f"${DATA_DIR_ENV}"
            sources.append(Folder(_readable_folder(env[DATA_DIR_ENV], label), label))
        if env.get(CACHE_DIR_ENV):
            cache = Folder(Path(env[CACHE_DIR_ENV]).expanduser().resolve(), f"${CACHE_DIR_ENV}")
        else:
            cache = Folder(REPO_ROOT / "data", "data/")
        sources = [s for s in sources if s.path != cache.path]
        offline = env.get(OFFLINE_ENV, "") not in ("", "0")
        return cls(tuple(sources), cache, offline)

    @property
    def searched(self) -> list[Folder]:
        return [*self.sources, self.cache]

    # -- finding ------------------------------------------------------------------------------

    def locate(self, *relpaths: str) -> Path | None:
        """The first existing `folder/relpath`, folder-major (a source beats the cache)."""
        for folder in self.searched:
            for rel in relpaths:
                if (folder.path / rel).exists():
                    return folder.path / rel
        return None

    def missing(self, relpaths, url=None, reason=None, fix=None) -> MissingData:
        return MissingData(
            relpaths,
            [f.label for f in self.searched],
            [f.path for f in self.searched],
            url=url,
            reason=reason,
            fix=fix,
        )

    def fetch(self, relpath: str, url=None, file_hash=None, what=None) -> Path:
        """A local file, else downloaded from `url` into the cache (hash checked), else
        MissingData. The file is recorded as read."""
        path = self.locate(relpath)
        if path is None:
            if url is None:
                raise self.missing(relpath)
            path = self.download(relpath, url, file_hash)
        self.record(path, what or Path(relpath).name)
        return path

    def download(self, relpath: str, url: str, file_hash=None) -> Path:
        if self.offline:
            raise self.missing(relpath, url, f"downloads are off: ${OFFLINE_ENV}")
        import keras  # deferred: importing TensorFlow costs seconds

        rel = Path(relpath)
        self.cache_dir(rel.parent)
        try:
            path = keras.utils.get_file(
                fname=rel.name,
                origin=url,
                file_hash=file_hash,
                cache_dir=str(self.cache.path),
                cache_subdir=str(rel.parent),
            )
        except Exception as exc:  # get_file raises bare Exception on network errors
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise self.missing(relpath, url, f"the download failed: {reason}") from None
        return Path(path)

    # -- the cache -----------------------------------------------------------------------------

    def cache_dir(self, relpath) -> Path:
        """`<cache>/<relpath>`, made if needed; UserError when the cache is not writable."""
        path = self.cache.path / relpath
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / f".write-test-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise UserError(
                f"the cache folder {self.cache.path} is not writable ({exc.strerror or exc})",
                f"set ${CACHE_DIR_ENV} to a folder you can write to",
            ) from None
        return path

    # -- the record of files read --------------------------------------------------------------

    def name(self, path) -> str:
        """`path` as named inside its data folder (`datasets/mnist.npz`), else its file name."""
        path = Path(path).resolve()
        for folder in self.searched:
            try:
                return path.relative_to(folder.path).as_posix()
            except ValueError:
                continue
        return path.name

    def folder_label(self, path) -> str:
        path = Path(path).resolve()
        for folder in self.searched:
            if path.is_relative_to(folder.path):
                return folder.label
        return "given"

    def record(self, path, what: str) -> None:
        """Note a file this run read, for its results: named portably, real or made for tests."""
        path = Path(path).resolve()
        made_for_tests = any((parent / TEST_MARKER).exists() for parent in path.parents)
        entry = {
            "file": self.name(path),
            "folder": self.folder_label(path),
            "what": what,
            "kind": "made-for-tests" if made_for_tests else "real",
        }
        if entry not in self.read:
            self.read.append(entry)


def _readable_folder(given: str, label: str) -> Path:
    """A data folder the user named, resolved against the folder the command was started in;
    UserError unless it is a folder that can be read (permission bits checked: root reads
    anything, but a folder closed to everyone is a mistake to report, not to read around)."""
    if not str(given).strip():
        raise UserError(f"{label} is empty", f"give a data folder, or leave {label} out")
    path = Path(given).expanduser().resolve()
    if not path.exists():
        raise UserError(
            f"{label} {path} does not exist",
            "give the folder that holds datasets/ and models/ (Keras-cache layout)",
            folder=label,
        )
    if not path.is_dir():
        raise UserError(f"{label} {path} is a file, not a folder", "give its folder", folder=label)
    mode = path.stat().st_mode
    if not (os.access(path, os.R_OK | os.X_OK) and mode & 0o444 and mode & 0o111):
        raise UserError(
            f"{label} {path} cannot be read (permissions {oct(mode & 0o777)})",
            f"make it readable (chmod a+rx {path.name}) or give another folder",
            folder=label,
        )
    return path
