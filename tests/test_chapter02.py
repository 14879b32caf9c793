"""Chapter 2: the named functions exactly, and every script on tiny data."""

import json
import math

import numpy as np
import pytest
from conftest import smoke_args

from chapter02 import display_digit, mnist_first_network, naive_tensor_ops
from chapter02.naive_tensor_ops import naive_add, naive_relu


def test_naive_relu_exact_and_input_untouched():
    x = np.array([[1.5, -2.0, 0.0], [-0.1, 3.0, -7.0]])
    before = x.copy()
    assert naive_relu(x).tolist() == [[1.5, 0.0, 0.0], [0.0, 3.0, 0.0]]
    assert np.array_equal(x, before)


def test_naive_add_exact_and_shape_checked():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[10.0, -20.0], [0.5, 0.0]])
    assert naive_add(x, y).tolist() == [[11.0, -18.0], [3.5, 4.0]]
    with pytest.raises(AssertionError):
        naive_add(x, np.ones((2, 3)))
    with pytest.raises(AssertionError):
        naive_relu(np.ones(3))


def test_naive_tensor_ops_script(out_dir):
    result = naive_tensor_ops.main(["--profile", "smoke", "--output-dir", str(out_dir)])
    assert result["metrics"]["example_relu"] == [[1.0, 0.0, 3.0], [0.0, 5.0, 0.0]]
    assert result["metrics"]["example_add"] == [[11.0, 18.0, 33.0], [36.0, 55.0, 54.0]]
    assert (out_dir / "chapter02" / "naive_tensor_ops.smoke.json").exists()


def test_mnist_first_network_smoke(tiny_data, out_dir):
    result = mnist_first_network.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["test_accuracy"] > 0.3 and math.isfinite(m["test_loss"])  # chance is 0.1
    assert result["data"][0]["kind"] == "made-for-tests"
    assert not (out_dir / "chapter02" / "mnist_first_network.json").exists()  # quick's name
    saved = json.loads((out_dir / "chapter02" / "mnist_first_network.smoke.json").read_text())
    assert saved["metrics"]["test_accuracy"] == m["test_accuracy"]
    assert saved["profile"] == "smoke" and saved["book"] == {"test_accuracy": 0.9777}


def test_mnist_first_network_model_is_the_books():
    model = mnist_first_network.build_model()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert [layer.units for layer in model.layers] == [512, 10]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "softmax"]
    assert model.count_params() == 784 * 512 + 512 + 512 * 10 + 10
    assert type(model.optimizer).__name__ == "RMSprop" and model.loss == "categorical_crossentropy"


def test_display_digit_writes_png(tiny_data, out_dir):
    result = display_digit.main(smoke_args(tiny_data, out_dir))
    png = out_dir / result["figures"][0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    labels = np.load(tiny_data / "datasets" / "mnist.npz")["y_train"]
    assert result["metrics"]["label"] == int(labels[4])
