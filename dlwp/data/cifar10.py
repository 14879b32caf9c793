"""CIFAR-10's training frogs (label 6), for the GAN of section 8.5."""

from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

from dlwp.data.core import DataFolders
from dlwp.data.formats import check, load_npz
from dlwp.errors import BadData

FROG = 6
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
FROGS_NPZ, TARBALL = "datasets/cifar10_frogs.npz", "datasets/cifar-10-python.tar.gz"

_NUMPY_ONLY = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """A CIFAR batch may rebuild NumPy arrays and nothing else (no arbitrary code)."""

    def find_class(self, module, name):
        if (module, name) in _NUMPY_ONLY:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"forbidden global {module}.{name}")


def _frogs_from_tar(path: Path, name: str) -> np.ndarray:
    """`x_train[y_train[:, 0] == 6]` of `keras.datasets.cifar10.load_data()`, from the tarball."""
    batches = {}
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                base = member.name.split("/")[-1]
                if member.isfile() and base.startswith("data_batch_"):
                    raw = tar.extractfile(member).read()
                    batches[base] = _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except (tarfile.TarError, EOFError, OSError, zlib.error, pickle.UnpicklingError) as exc:
        raise BadData(
            path,
            f"not a readable CIFAR-10 python archive ({type(exc).__name__}: {exc})",
            "download it again",
            name,
        ) from None
    names = [f"data_batch_{i}" for i in range(1, 6)]
    check(all(n in batches for n in names), path, f"has {sorted(batches)}, not {names}", name)
    frogs = []
    for n in names:
        batch = batches[n]
        check(isinstance(batch, dict) and b"data" in batch and b"labels" in batch, path, n, name)
        images, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
        check(
            images.dtype == np.uint8 and images.ndim == 2 and images.shape[1] == 3072, path, n, name
        )
        check(labels.shape == (len(images),), path, f"{n}: {len(labels)} labels", name)
        images = images.reshape(len(images), 3, 32, 32).transpose(0, 2, 3, 1)
        frogs.append(images[labels == FROG])
    return np.concatenate(frogs)


def load_frogs(data: DataFolders) -> np.ndarray:
    """The training frogs, uint8 (n, 32, 32, 3), in Keras' order (5,000 in the real set).

    `datasets/cifar10_frogs.npz` (key `x_train`) when present; else the official tarball
    (local, else downloaded), label 6 selected.
    """
    path = data.locate(FROGS_NPZ, TARBALL)
    if path is None and data.offline:
        raise data.missing([FROGS_NPZ, TARBALL], URL, "downloads are off: $DLWP_OFFLINE")
    if path is None:
        path = data.download(TARBALL, URL, SHA256)
    name = data.name(path)
    if path.name.endswith(".npz"):
        data.record(path, "CIFAR-10 training frogs (label 6)")
        x = load_npz(path, ["x_train"], name=name)["x_train"]
    else:
        data.record(path, "CIFAR-10 (frogs, label 6, selected)")
        x = _frogs_from_tar(path, name)
    check(x.dtype == np.uint8, path, f"x_train has dtype {x.dtype}, not uint8", name)
    check(x.ndim == 4 and x.shape[1:] == (32, 32, 3), path, f"x_train has shape {x.shape}", name)
    check(len(x) > 0, path, "no frog images", name)
    return x
