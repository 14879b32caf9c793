"""CIFAR-10 frogs: the npz the GAN reads, or the official cifar-10-python.tar.gz."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np


def frogs(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 32, 32, 3)).astype("uint8")


def write_cifar10_frogs(root: Path, n=60, seed=0) -> Path:
    path = root / "datasets" / "cifar10_frogs.npz"
    np.savez_compressed(path, x_train=frogs(n, seed))
    return path


def write_cifar10_tar(path: Path, frogs_per_batch=3, others_per_batch=4, seed=0):
    """A cifar-10-python.tar.gz in the official layout (pickled dicts of CHW-flattened uint8);
    returns the frogs (label 6) it holds, in order."""
    rng = np.random.default_rng(seed)
    expected = []
    with tarfile.open(path, "w:gz") as tar:
        for b in range(1, 6):
            labels = [6] * frogs_per_batch + [1] * others_per_batch
            rng.shuffle(labels)
            data = rng.integers(0, 256, (len(labels), 3072)).astype("uint8")
            expected += [
                data[i].reshape(3, 32, 32).transpose(1, 2, 0)
                for i, y in enumerate(labels)
                if y == 6
            ]
            blob = pickle.dumps({b"data": data, b"labels": labels, b"batch_label": b"x"})
            info = tarfile.TarInfo(f"cifar-10-batches-py/data_batch_{b}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return np.stack(expected)
