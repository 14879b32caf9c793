"""Real-data tier: runs when DLWP_DATA_DIR holds the real files (../shared/datasets here)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from chapter02 import mnist_first_network
from dlwp.data import boston_housing, imdb, reuters
from dlwp.data.core import DataFolders

pytestmark = pytest.mark.realdata


def test_mnist_dense_learns_in_one_epoch(real_data, tmp_path):
    result = mnist_first_network.main(
        ["--data-dir", str(real_data), "--output-dir", str(tmp_path), "--epochs", "1"]
    )
    assert result["metrics"]["test_accuracy"] > 0.95
    assert result["data"][0]["kind"] == "real"


def test_imdb_from_raw_reviews_has_the_official_shape(real_data):
    data = DataFolders.resolve(real_data)
    if data.locate("datasets/imdb.npz"):
        pytest.skip("imdb.npz present: the raw-review path is not used")
    (x, y), (xt, yt) = imdb.load_data(data, num_words=10000)
    assert len(x) == len(xt) == 25000
    assert y.sum() == yt.sum() == 12500
    # Keras' imdb.npz has a mean training-review length of 238.71 words (with the start mark)
    assert abs(np.mean([len(s) for s in x]) - 238.71) < 0.05
    assert max(max(s) for s in x) == 9999
    # the review the book prints as train_data[0] (section 3.4.1): 218 tokens, positive; the
    # rebuild holds it too, with exactly the book's first tokens (not necessarily at index 0)
    book_start = [1, 14, 22, 16, 43, 530, 973, 1622, 1385, 65, 458, 4468, 66, 3941, 4, 173, 36]
    found = [i for i, s in enumerate(x) if list(s[: len(book_start)]) == book_start]
    assert len(found) == 1 and len(x[found[0]]) == 218 and y[found[0]] == 1
    # tokens are word ranks + 3: rank 1 ("the") is token 4
    index = imdb.get_word_index(data)
    assert index["the"] == 1 and book_start[14] == 4


def test_local_reuters_and_boston_equal_the_keras_loaders(real_data, tmp_path):
    """Keras' own loaders on the official files (found in KERAS_HOME, no download) vs ours."""
    keras_home = tmp_path / "keras_home"
    (keras_home / "datasets").mkdir(parents=True)
    for name in ("reuters.npz", "boston_housing.npz"):
        (keras_home / "datasets" / name).symlink_to(real_data / "datasets" / name)
    code = (
        "import json, keras\n"
        "(x, y), (xt, yt) = keras.datasets.reuters.load_data(num_words=10000)\n"
        "(bx, by), (bxt, byt) = keras.datasets.boston_housing.load_data()\n"
        "print(json.dumps({'reuters': [[list(map(int, s)) for s in x[:50]], y.tolist(),"
        " [list(map(int, s)) for s in xt[-50:]], yt.tolist()],"
        " 'boston': [bx.tolist(), by.tolist(), bxt.tolist(), byt.tolist()]}))\n"
    )
    env = dict(os.environ, KERAS_HOME=str(keras_home), TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    keras_side = json.loads(out.stdout.strip().splitlines()[-1])
    data = DataFolders.resolve(real_data)
    (x, y), (xt, yt) = reuters.load_data(data, num_words=10000)
    assert keras_side["reuters"] == [
        [list(s) for s in x[:50]],
        y.tolist(),
        [list(s) for s in xt[-50:]],
        yt.tolist(),
    ]
    (bx, by), (bxt, byt) = boston_housing.load_data(data)
    assert keras_side["boston"] == [bx.tolist(), by.tolist(), bxt.tolist(), byt.tolist()]
