"""Chapter 8, the variational autoencoder (notebook 8.4): the loss (mean per-pixel crossentropy +
5e-4 x KL) against NumPy; MNIST's training and test pixels reaching fit, scaled to [0, 1]; the
training loss compared with the book's evaluated on the training set after each epoch."""

import math

import keras
import numpy as np
import pytest
from ch08_helpers import compiled, inputs, specs
from PIL import Image
from scipy.stats import norm
from support import assert_rows_from, smoke_args

from chapter08 import vae


def test_vae_is_the_books_model():
    """Listings 8.23-8.25: the encoder, the decoder, RMSprop with the loss from the model."""
    model, encoder, decoder = vae.build_vae(seed=0)
    assert inputs(encoder) == [((None, 28, 28, 1), "float32")]
    assert specs(encoder) == [
        "Conv2D(32, 3, padding=same, relu)",
        "Conv2D(64, 3, strides=2, padding=same, relu)",
        "Conv2D(64, 3, padding=same, relu)",
        "Conv2D(64, 3, padding=same, relu)",
        "Flatten()",
        "Dense(32, relu)",
        "Dense(2)",
        "Dense(2)",
    ]
    assert encoder.output_names == ["z_mean", "z_log_var"]
    assert inputs(decoder) == [((None, 2), "float32")]
    assert specs(decoder) == [
        "Dense(12544, relu)",
        "Reshape((14, 14, 64))",
        "Conv2DTranspose(32, 3, strides=2, padding=same, relu)",
        "Conv2D(1, 3, padding=same, sigmoid)",
    ]
    assert [type(layer).__name__ for layer in model.layers[1:]] == [
        "Functional",
        "Sampling",
        "Functional",
        "VAELoss",
    ]
    assert compiled(model) == {"optimizer": "RMSprop(0.001, epsilon=1e-16)", "loss": None}
    # notebook 8.4, cell 17 (vae.summary()): "Total params: 550,629"; the decoder, model_1: 56385
    assert model.count_params() == 550629 and decoder.count_params() == 56385
    assert model.layers[2].sampling == "book"


@pytest.mark.parametrize("sampling", ["book", "standard"])
def test_vae_loss_is_reconstruction_plus_kl(sampling):
    """The model's loss on a batch, against the book's loss computed here with NumPy: the mean
    per-pixel binary crossentropy of the decoded sample plus 5e-4 x the KL term, from the
    encoder's z_mean and z_log_var and the Sampling layer's first epsilon (seeded). The sample:
    z_mean + exp(z_log_var) * epsilon (the book's, notebook 8.4 cell 11), or exp(z_log_var / 2)
    (standard); the KL term is the same expression for both (cell 15)."""
    model, encoder, decoder = vae.build_vae(seed=5, sampling=sampling)
    # biases far from N(0, 1), so that the KL term is a clear share of the loss
    for name, bias in (("z_mean", [2.0, -3.0]), ("z_log_var", [0.7, -0.9])):
        kernel, _ = encoder.get_layer(name).get_weights()
        encoder.get_layer(name).set_weights([kernel, np.array(bias, "float32")])
    x = (np.random.default_rng(0).random((8, 28, 28, 1)) > 0.7).astype("float32")
    z_mean, z_log_var = (a.astype("float64") for a in encoder.predict(x, verbose=0))
    epsilon = keras.random.normal((8, 2), seed=keras.random.SeedGenerator(5))
    scale = np.exp(z_log_var) if sampling == "book" else np.exp(0.5 * z_log_var)
    z = z_mean + scale * keras.ops.convert_to_numpy(epsilon)
    decoded = np.clip(decoder.predict(z, verbose=0).astype("float64"), 1e-7, 1 - 1e-7)
    xent = -np.mean(x * np.log(decoded) + (1 - x) * np.log(1 - decoded))
    kl = -5e-4 * np.mean(1 + z_log_var - z_mean**2 - np.exp(z_log_var))
    assert kl > 2e-3  # the term a loss without KL would miss
    loss = model.evaluate(x, batch_size=8, verbose=0)  # the Sampling layer's first draw
    assert math.isclose(loss, xent + kl, abs_tol=1e-5)


def test_decode_manifold_lays_out_the_grid():
    """The book's loop: row i, column j holds the digit decoded at (x_j, y_i), the Gaussian
    quantiles of linspace(0.05, 0.95, n)."""
    keras.utils.set_random_seed(0)
    decoder = vae.build_decoder()
    figure = vae.decode_manifold(decoder, n=3)
    grid = norm.ppf(np.linspace(0.05, 0.95, 3))
    assert figure.shape == (84, 84)
    for i, yi in enumerate(grid):
        for j, xi in enumerate(grid):
            digit = np.asarray(decoder(np.array([[xi, yi]], "float32")))[0, :, :, 0]
            block = figure[i * 28 : (i + 1) * 28, j * 28 : (j + 1) * 28]
            assert np.allclose(block, digit, atol=1e-6)


def test_vae_shapes_kl_and_learning():
    keras.utils.set_random_seed(0)
    model, encoder, decoder = vae.build_vae(seed=0)
    x = (np.random.default_rng(0).random((32, 28, 28, 1)) > 0.7).astype("float32")
    z_mean, z_log_var = encoder.predict(x, verbose=0)
    assert z_mean.shape == z_log_var.shape == (32, 2)
    assert decoder.predict(z_mean, verbose=0).shape == (32, 28, 28, 1)
    rng = np.random.default_rng(1)
    m, lv = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    _, kl = vae.vae_loss_terms(x[:1], x[:1], m.astype("float32"), lv.astype("float32"))
    _, kl0 = vae.vae_loss_terms(x[:1], x[:1], np.zeros((5, 2), "float32"), np.zeros((5, 2), "f4"))
    assert float(kl) > 0 and float(kl0) == 0
    losses = [float(model.train_on_batch(x)) for _ in range(15)]
    assert losses[-1] < losses[0] and all(map(math.isfinite, losses))
    # the sampling layer is seeded and really samples
    s = vae.Sampling(seed=3)
    a = s([np.zeros((4, 2), "f4"), np.zeros((4, 2), "f4")])
    assert not np.allclose(a, s([np.zeros((4, 2), "f4"), np.zeros((4, 2), "f4")]))
    assert np.allclose(a, vae.Sampling(seed=3)([np.zeros((4, 2), "f4"), np.zeros((4, 2), "f4")]))
    # the book's scale is exp(log_var), the standard one exp(log_var / 2): same epsilon
    mean, log_var = np.full((4, 2), 0.5, "f4"), np.full((4, 2), 0.8, "f4")
    book = np.asarray(vae.Sampling(seed=3)([mean, log_var]))
    standard = np.asarray(vae.Sampling(seed=3, sampling="standard")([mean, log_var]))
    assert np.allclose((book - 0.5) / np.exp(0.8), (standard - 0.5) / np.exp(0.4), atol=1e-5)
    assert np.allclose((book - 0.5) / np.exp(0.8), a, atol=1e-5)  # epsilon itself
    with pytest.raises(ValueError):
        vae.Sampling(sampling="exp")


def test_vae_smoke(tiny_data, out_dir, keras_calls):
    result = vae.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert result["settings"]["sampling"] == "book"  # the default, every profile
    assert math.isfinite(m["val_loss"]) and len(m["val_loss_per_epoch"]) == 1
    assert result["figures"] == ["chapter08/vae.smoke_manifold.png"]
    assert Image.open(out_dir / "chapter08" / "vae.smoke_manifold.png").size[0] > 100
    assert result["data"][0]["file"] == "datasets/mnist.npz"

    # What reached fit, against mnist.npz read here: smoke's first 256 training digits and first
    # 64 test digits, pixels / 255 as (28, 28, 1) float32; no targets (the loss is the model's)
    f = np.load(tiny_data / "datasets" / "mnist.npz")
    [fit] = keras_calls.of("fit")
    x_val, y_val = fit.validation_data
    assert fit.y is None and y_val is None
    for x, split, n in ((fit.x, "train", 256), (x_val, "test", 64)):
        assert x.shape == (n, 28, 28, 1) and x.dtype == np.float32
        assert 0 <= x.min() and x.max() == 1.0
        idx = assert_rows_from(x, f[f"x_{split}"].astype("float32") / 255, f"{split} digits")
        assert np.array_equal(idx, np.arange(n))
    assert (fit.epochs, fit.batch_size, fit.shuffle) == (1, 16, True)  # the book's batch of 16
    assert fit.learning_rate == pytest.approx(0.001)

    # the training loss beside the book's: the training digits evaluated after the epoch
    [after_epoch] = [
        c for c in keras_calls.of("evaluate") if "_use_cached_eval_dataset" not in c.args
    ]
    assert np.array_equal(after_epoch.x, fit.x) and after_epoch.args.get("y") is None
    assert len(m["loss_per_epoch"]) == len(m["epoch_mean_loss_per_epoch"]) == 1
    assert math.isfinite(m["loss_per_epoch"][0])
    assert m["loss_per_epoch"] != m["epoch_mean_loss_per_epoch"]
    assert result["notes"]["loss_per_epoch"].startswith("the training set's loss after each")
    assert result["book"]["loss_per_epoch"][0] == 0.2109


def test_training_set_loss_is_the_loss_after_the_epoch():
    """`TrainingSetLoss` logs the loss of the training images with the epoch's final weights,
    and puts the Sampling layer's random state back: training draws what it would without it."""
    x = (np.random.default_rng(0).random((24, 28, 28, 1)) > 0.6).astype("float32")
    keras.utils.set_random_seed(1)
    model, _, _ = vae.build_vae(seed=3)
    sampler = model.layers[2]
    states = []

    def state(epoch, logs):
        states.append(np.array(sampler.seed_generator.state))

    around = keras.callbacks.LambdaCallback(on_epoch_end=state)
    history = model.fit(
        x, epochs=2, batch_size=8, callbacks=[around, vae.TrainingSetLoss(x), around], verbose=0
    )
    h = history.history
    assert len(h["training_set_loss"]) == 2 and h["training_set_loss"] != h["loss"]
    assert np.array_equal(states[0], states[1]) and np.array_equal(states[2], states[3])
    # the last value: the loss of x with the final weights, the Sampling layer's next draws
    now = model.evaluate(x, batch_size=256, verbose=0)
    assert math.isclose(h["training_set_loss"][-1], now, rel_tol=1e-6)
