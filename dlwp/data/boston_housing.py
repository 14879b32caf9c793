"""Boston housing: `keras.datasets.boston_housing.load_data()`, local first, same split."""

from __future__ import annotations

import numpy as np

from dlwp.data.core import DataFolders
from dlwp.data.formats import check, check_finite, load_npz

URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(data: DataFolders, test_split=0.2, seed=113):
    path = data.fetch("datasets/boston_housing.npz", URL, SHA256, "Boston housing")
    name = data.name(path)
    f = load_npz(path, ["x", "y"], name=name)
    x, y = f["x"], f["y"]
    check(x.ndim == 2 and y.shape == (len(x),), path, f"x {x.shape} / y {y.shape}", name)
    check(len(x) >= 5, path, f"{len(x)} houses: too few to split into training and test", name)
    check_finite(x, path, "x", name)
    check_finite(y, path, "y", name)
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
