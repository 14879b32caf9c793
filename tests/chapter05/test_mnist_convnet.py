"""Chapter 5.1, the MNIST convnet: the book's model, trained on the first rows of MNIST's
training split and judged on its test split, prepared the book's way ((28, 28, 1) images in
[0, 1], one-hot labels), with the profile's epochs and batch size."""

import io
import math
from contextlib import redirect_stdout

import fakedata
import numpy as np
import pytest
from support import (
    assert_rows_from,
    compile_calls,
    compiled,
    layer_settings,
    no_machine_paths,
    own_calls,
    run_once,
    smoke_args,
)

from chapter05 import mnist_convnet

N_TRAIN, N_TEST = 600, 300  # more than the smoke profile takes (512, 256): its slices show
POOL = ("MaxPooling2D", (2, 2))


@pytest.fixture(scope="module")
def mnist_data(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("mnist_data"))
    fakedata.write_mnist(root, n_train=N_TRAIN, n_test=N_TEST)
    return root


@pytest.fixture(scope="module")
def smoke(mnist_data, tmp_path_factory, test_cache):
    out = tmp_path_factory.mktemp("results")
    run = run_once(mnist_convnet.main, smoke_args(mnist_data, out), test_cache)
    run.out = out
    return run


def test_mnist_convnet_book_numbers_are_the_notebooks():
    assert mnist_convnet.BOOK == {
        "test_accuracy": 0.9913,  # 5.1, cell 14: 0.99129999999999996
        "params": 93322,  # 5.1, cell 8: Total params: 93,322
    }


def test_mnist_convnet_full_profile_is_the_books():
    args = mnist_convnet.parse_args(["--profile", "full"])
    settings = (args.epochs, args.batch_size, args.train_samples, args.test_samples)
    assert settings == (5, 64, None, None)  # cell 11: epochs=5, batch_size=64, all the rows
    args = mnist_convnet.parse_args(["--profile", "quick"])
    assert (args.epochs, args.batch_size, args.train_samples, args.test_samples) == (
        3,
        64,
        None,
        None,
    )
    model = mnist_convnet.build_model()
    assert model.input_shape == (None, 28, 28, 1)
    assert layer_settings(model) == [
        ("Conv2D", 32, (3, 3), "relu"),
        POOL,
        ("Conv2D", 64, (3, 3), "relu"),
        POOL,
        ("Conv2D", 64, (3, 3), "relu"),
        ("Flatten",),
        ("Dense", 64, "relu"),
        ("Dense", 10, "softmax"),
    ]
    assert compiled(model) == ("RMSprop", 0.001, "categorical_crossentropy")  # "rmsprop"
    assert model.count_params() == 93322
    assert sum(layer.count_params() for layer in model.layers[:5]) == 55744  # 5.1, cell 4
    assert model.output_shape == (None, 10)
    text = io.StringIO()
    with redirect_stdout(text):
        model.summary()
    assert "93,322" in text.getvalue()


def test_mnist_convnet_compile_call_is_the_books():

    [keywords] = compile_calls("chapter05/mnist_convnet.py")
    # the book's "rmsprop", with the book's step (dlwp.optimizers)
    assert keywords == {
        "optimizer": "keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON)",
        "loss": "'categorical_crossentropy'",
        "metrics": "['accuracy']",
    }


def test_mnist_convnet_smoke(smoke, mnist_data):
    m = smoke.metrics
    assert m["params"] == 93322 and math.isfinite(m["test_loss"])
    assert len(m["train_accuracy_per_epoch"]) == 1  # the smoke profile's one epoch
    assert (smoke.out / "chapter05" / "mnist_convnet.smoke.json").exists()
    no_machine_paths(smoke.result, mnist_data, smoke.out)


def test_mnist_convnet_data_reaching_keras(smoke, mnist_data):
    f = np.load(mnist_data / "datasets" / "mnist.npz")
    [fit] = own_calls(smoke.calls.of("fit"))
    [evaluate] = own_calls(smoke.calls.of("evaluate"))
    assert evaluate.model is fit.model  # the trained model is the one judged
    for call, split, n in ((fit, "train", 512), (evaluate, "test", 256)):
        # the book's preparation: a channel axis, float32 pixels in [0, 1]
        images = f[f"x_{split}"].reshape(-1, 28, 28, 1).astype("float32") / 255
        assert call.x.dtype == np.float32 and call.x.shape == (n, 28, 28, 1)
        assert 0.0 <= call.x.min() and call.x.max() <= 1.0 and call.x.max() > 0.99
        idx = assert_rows_from(call.x, images, f"{split} images")
        # the smoke profile's slice: the split's first rows, in order
        assert np.array_equal(idx, np.arange(n))
        # each image keeps its own label, one-hot over 10 classes
        assert call.y.shape == (n, 10)
        assert np.array_equal(call.y.argmax(axis=1), f[f"y_{split}"][idx])
        assert np.array_equal(call.y.sum(axis=1), np.ones(n))
    assert not set(map(bytes, fit.x)) & set(map(bytes, evaluate.x))
    # the profile's settings: one epoch, the book's batches of 64, rmsprop's 0.001
    assert (fit.epochs, fit.batch_size) == (1, 64)
    assert fit.learning_rate == pytest.approx(0.001)
    assert fit.args.get("validation_data") is None  # the book validates on nothing here
