"""MNIST: `keras.datasets.mnist.load_data()`, local first."""

from __future__ import annotations

from dlwp.data.core import DataFolders
from dlwp.data.formats import check, check_labels, check_pixels, load_npz

URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(data: DataFolders):
    """((x_train, y_train), (x_test, y_test)), uint8, as Keras returns them."""
    path = data.fetch("datasets/mnist.npz", URL, SHA256, "MNIST")
    name = data.name(path)
    f = load_npz(path, ["x_train", "y_train", "x_test", "y_test"], name=name)
    for split in ("train", "test"):
        x, y = f[f"x_{split}"], f[f"y_{split}"]
        check(x.ndim == 3 and x.shape[1:] == (28, 28), path, f"x_{split} has shape {x.shape}", name)
        check(
            y.shape == (len(x),), path, f"y_{split} has shape {y.shape} for {len(x)} images", name
        )
        check(len(x) > 0, path, f"x_{split} holds no images", name)
        check_pixels(x, path, f"x_{split}", name)
        check_labels(y, path, f"y_{split}", 10, name)
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
