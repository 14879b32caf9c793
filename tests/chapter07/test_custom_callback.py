"""Chapter 7, a custom callback (listing 7.15): a layer's activations on a fixed validation batch
saved every epoch; MNIST's training rows split into validation and training, as section 2.1
prepares them."""

import keras
import numpy as np
import pytest
from ch07_helpers import RMSPROP, compiled, inputs, specs
from support import assert_rows_from, smoke_args

from chapter07 import custom_callback


def test_custom_callback_model_is_section_2_1s():
    model = custom_callback.build_model()
    assert inputs(model) == [((None, 784), "float32")]
    assert specs(model) == ["Dense(512, relu)", "Dense(10, softmax)"]
    assert model.layers[0].name == "hidden"  # the logged layer
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": "categorical_crossentropy",
        "loss_weights": None,
        "metrics": ["accuracy"],
    }


def test_activation_logger_one_file_per_epoch(tmp_path):
    rng = np.random.default_rng(0)
    x, y = (
        rng.random((64, 784), dtype="float32"),
        keras.utils.to_categorical(rng.integers(0, 10, 64)),
    )
    model = custom_callback.build_model()
    logger = custom_callback.ActivationLogger("hidden", x[:5], tmp_path)
    model.fit(x, y, epochs=3, batch_size=16, callbacks=[logger], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"activations_at_epoch_{i}.npz" for i in (1, 2, 3)
    ]
    saved = [np.load(tmp_path / f"activations_at_epoch_{i}.npz") for i in (1, 2, 3)]
    assert all(f["activations"].shape == (5, 512) and str(f["layer"]) == "hidden" for f in saved)
    # the last file holds the final model's activations; each epoch's differ from the previous
    hidden = keras.Model(model.inputs, model.get_layer("hidden").output)
    assert np.allclose(saved[-1]["activations"], hidden.predict(x[:5], verbose=0), atol=1e-6)
    for a, b in zip(saved[:-1], saved[1:]):
        assert not np.allclose(a["activations"], b["activations"])
    # the figure draws image 0's first 128 activations, one row per epoch
    fig = custom_callback.plot_activations(logger.paths)
    (drawn,) = fig.axes[0].images
    rows = np.stack([f["activations"][0, :128] for f in saved])
    assert np.array_equal(np.asarray(drawn.get_array()), rows)


def test_custom_callback_smoke(out_dir, tiny_data, keras_calls):
    result = custom_callback.main(smoke_args(tiny_data, out_dir, "--epochs", "3"))
    m = result["metrics"]
    folder = out_dir / "chapter07" / "activations" / "custom_callback"
    assert m["activation_files"] == 3 and len(list(folder.glob("*.npz"))) == 3
    assert m["activation_shape"] == "(32, 512)"
    saved = [np.load(folder / f"activations_at_epoch_{i}.npz")["activations"] for i in (1, 2, 3)]
    changes = [float(np.mean(np.abs(b - a))) for a, b in zip(saved[:-1], saved[1:])]
    assert np.allclose(m["mean_abs_change_between_epochs"], changes) and min(changes) > 0
    assert result["figures"] == ["chapter07/custom_callback.smoke_activations.png"]
    png = out_dir / result["figures"][0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000

    # What reached Keras, against mnist.npz read here: the smoke profile's first 256 training
    # digits, flattened, pixels / 255, one-hot labels; the first 64 held out for validation
    f = np.load(tiny_data / "datasets" / "mnist.npz")
    images = f["x_train"].reshape(-1, 784).astype("float32") / 255
    [fit] = keras_calls.of("fit")
    x_val, y_val = fit.validation_data
    for x, y, rows in ((fit.x, fit.y, range(64, 256)), (x_val, y_val, range(64))):
        assert x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
        idx = assert_rows_from(x, images, "MNIST training digits")
        assert sorted(idx) == list(rows)  # which rows: the split of the first 256
        assert y.shape == (len(x), 10) and np.array_equal(y.sum(axis=1), np.ones(len(y)))
        assert np.array_equal(y.argmax(axis=1), f["y_train"][idx])  # each keeps its label
    assert (fit.epochs, fit.batch_size) == (3, 128)
    assert fit.learning_rate == pytest.approx(0.001)
    # the callback's fixed batch: the first 32 validation digits, never training ones
    [logger] = [c for c in fit.callbacks if isinstance(c, custom_callback.ActivationLogger)]
    assert np.array_equal(logger.validation_batch, x_val[:32])
    hidden_calls = [c for c in keras_calls.of("predict") if c.model is logger.activations_model]
    assert len(hidden_calls) == 3 and all(np.array_equal(c.x, x_val[:32]) for c in hidden_calls)


def test_custom_callback_profiles():
    full = custom_callback.parse_args(["--profile", "full"])
    assert (full.epochs, full.batch_size, full.val_samples) == (5, 128, 10000)


@pytest.mark.realdata
def test_custom_callback_on_real_mnist(real_data, tmp_path):
    result = custom_callback.main(smoke_args(real_data, tmp_path, "--epochs", "2"))
    m = result["metrics"]
    assert result["data"][0]["kind"] == "real"
    assert m["activation_files"] == 2 and m["activations_change"] == "yes"
    assert m["val_accuracy"] > 0.6  # 192 real training digits, 2 epochs: already well above chance
