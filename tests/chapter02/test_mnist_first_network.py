"""Chapter 2, the first network: the book's model, trained on MNIST's training split and judged
on its test split, prepared the book's way (flattened, [0, 1] pixels, one-hot labels)."""

import json
import math

import numpy as np
import pytest
from support import assert_rows_from, smoke_args

from chapter02 import mnist_first_network


def test_mnist_first_network_smoke(tiny_data, out_dir):
    result = mnist_first_network.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["test_accuracy"] > 0.3 and math.isfinite(m["test_loss"])  # chance is 0.1
    assert result["data"][0]["kind"] == "made-for-tests"
    assert not (out_dir / "chapter02" / "mnist_first_network.json").exists()  # quick's name
    saved = json.loads((out_dir / "chapter02" / "mnist_first_network.smoke.json").read_text())
    assert saved["metrics"]["test_accuracy"] == m["test_accuracy"]
    assert saved["profile"] == "smoke" and saved["book"] == {"test_accuracy": 0.9777}


def test_mnist_first_network_data_reaching_keras(tiny_data, out_dir, keras_calls):
    mnist_first_network.main(smoke_args(tiny_data, out_dir))
    f = np.load(tiny_data / "datasets" / "mnist.npz")
    [fit] = keras_calls.of("fit")
    [evaluate] = keras_calls.of("evaluate")
    for call, split in ((fit, "train"), (evaluate, "test")):
        images = f[f"x_{split}"].reshape(-1, 784).astype("float32") / 255
        assert call.x.dtype == np.float32 and call.x.shape[1] == 784
        assert 0.0 <= call.x.min() and call.x.max() <= 1.0
        idx = assert_rows_from(call.x, images, f"{split} images")
        # each image keeps its own label, one-hot over 10 classes
        assert call.y.shape == (len(call.x), 10)
        assert np.array_equal(call.y.argmax(axis=1), f[f"y_{split}"][idx])
        assert np.array_equal(call.y.sum(axis=1), np.ones(len(call.y)))
    # the smoke profile's slices: the first rows of each split, the whole tiny test split
    assert len(fit.x) == min(512, len(f["x_train"])) and len(evaluate.x) == len(f["x_test"])
    assert not set(map(bytes, fit.x)) & set(map(bytes, evaluate.x))
    assert (fit.epochs, fit.batch_size) == (1, 128)
    assert fit.learning_rate == pytest.approx(0.001)  # RMSprop's default, the book's


def test_mnist_first_network_model_is_the_books():
    model = mnist_first_network.build_model()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert [layer.units for layer in model.layers] == [512, 10]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "softmax"]
    assert model.count_params() == 784 * 512 + 512 + 512 * 10 + 10
    assert type(model.optimizer).__name__ == "RMSprop" and model.loss == "categorical_crossentropy"


def test_a_run_from_the_shell_starts_with_keras_own_output(tiny_data, out_dir):
    """No TensorFlow C++ startup lines (absl, oneDNN, CPU features) before the run's own."""
    import os
    import subprocess
    import sys

    from support import REPO_ROOT

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    script = REPO_ROOT / "chapter02" / "mnist_first_network.py"
    proc = subprocess.run([sys.executable, str(script), *smoke_args(tiny_data, out_dir)],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr == "", proc.stderr[:500]
    assert proc.stdout.startswith("== chapter02/mnist_first_network: MNIST")
