"""Chapter 8: sampling, text generation, DeepDream, style transfer, VAE, GAN; every script on tiny
data in the real formats (text, npz, JPEG, CIFAR tarball), with `--weights none` for the
pretrained bases."""

import io
import math
import pickle
import tarfile

import fakedata
import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import smoke_args
from PIL import Image

from chapter08 import (
    char_lstm_generation,
    deep_dream,
    gan,
    neural_style_transfer,
    text_sampling,
    vae,
)
from chapter08.text_sampling import reweight_distribution, sample
from dlwp import UserError, datasets

TINY_TEXT = (
    "Supposing that Truth is a woman--what then? Is there not ground for suspecting that all "
    "philosophers, in so far as they have been dogmatists, have failed to understand women. "
) * 20


def _jpeg(path, size, seed):
    rng = np.random.default_rng(seed)
    h, w = size
    base = np.linspace(0, 255, w)[None, :, None] * np.ones((h, 1, 3))
    img = np.clip(base + rng.normal(0, 40, (h, w, 3)), 0, 255).astype("uint8")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path, format="JPEG")


def _frogs(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 32, 32, 3)).astype("uint8")


def _cifar_tar(path, frogs_per_batch=3, others_per_batch=4, seed=0):
    """A cifar-10-python.tar.gz in the official layout: pickled dicts of CHW-flattened uint8."""
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


@pytest.fixture(scope="session")
def ch8_data(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("ch8_data"))
    (root / "datasets" / "nietzsche.txt").write_text(TINY_TEXT, encoding="utf-8")
    fakedata.write_mnist(root, n_train=256, n_test=64)
    np.savez_compressed(root / "datasets" / "cifar10_frogs.npz", x_train=_frogs(60))
    images = root / "datasets" / "images"
    _jpeg(images / "creative_commons_elephant.jpg", (90, 120), 1)
    _jpeg(images / "Tubingen.jpg", (48, 64), 2)
    _jpeg(images / "transfer_style_reference.jpg", (50, 70), 3)
    return root


# ---- text_sampling -----------------------------------------------------------------------------


def test_reweight_distribution_sharpens_and_flattens():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    assert np.allclose(reweight_distribution(p, 1.0), p)
    cold, hot = reweight_distribution(p, 0.2), reweight_distribution(p, 2.0)
    assert np.isclose(cold.sum(), 1) and np.isclose(hot.sum(), 1)
    assert cold[0] > p[0] > hot[0] and hot[-1] > p[-1] > cold[-1]
    assert np.allclose(reweight_distribution(p, 0.5), p**2 / np.sum(p**2))
    with pytest.raises(ValueError):
        reweight_distribution(p, 0)


def test_sample_lower_temperature_concentrates_draws():
    p = np.array([0.4, 0.3, 0.2, 0.1])
    rng = np.random.default_rng(0)
    n = 4000

    def top_share(t):
        return np.mean([sample(p, t, rng) == 0 for _ in range(n)])

    share_1, share_05, share_02 = top_share(1.0), top_share(0.5), top_share(0.2)
    # expected 0.4, 0.533, 0.80; 4000 draws: standard error < 0.008
    assert abs(share_1 - 0.4) < 0.03 and abs(share_05 - 16 / 30) < 0.03
    assert share_02 > share_05 + 0.2 > share_1 + 0.3
    # temperature -> 0 is argmax, even when the top is only slightly ahead
    q = np.array([0.26, 0.25, 0.25, 0.24])
    assert {sample(q, 1e-4, rng) for _ in range(300)} == {0}


def test_text_sampling_smoke(out_dir, tmp_path):
    result = text_sampling.main(["--profile", "smoke", "--output-dir", str(out_dir)])
    m = result["metrics"]
    assert m["entropy_decreases_as_temperature_falls"] is True
    assert m["top_probability_by_temperature"]["T=0.01"] > 0.99
    assert m["max_abs_frequency_error"] < 0.1
    assert (out_dir / "chapter08" / "text_sampling.png").exists()


# ---- char_lstm_generation ----------------------------------------------------------------------


def test_extract_and_vectorize_sequences():
    text = "abcdefghij"
    sentences, next_chars = char_lstm_generation.extract_sequences(text, maxlen=4, step=3)
    assert sentences == ["abcd", "defg"] and next_chars == ["e", "h"]
    idx = {c: i for i, c in enumerate(sorted(set(text)))}
    x, y = char_lstm_generation.vectorize(sentences, next_chars, idx)
    assert x.shape == (2, 4, 10) and y.shape == (2, 10) and x.dtype == bool
    assert x.sum() == 8 and x[1, 0, idx["d"]] and y[1, idx["h"]] and y.sum() == 2
    # the per-batch pipeline gives the same one-hot data (order aside)
    ds = char_lstm_generation.one_hot_dataset(sentences, next_chars, idx, batch_size=8, seed=0)
    xb, yb = next(iter(ds))
    got = sorted(zip(map(bytes, np.asarray(xb, bool)), map(bytes, np.asarray(yb, bool))))
    assert got == sorted(zip(map(bytes, x), map(bytes, y)))


def test_char_lstm_generation_smoke(ch8_data, out_dir):
    result = char_lstm_generation.main(smoke_args(ch8_data, out_dir))
    m = result["metrics"]
    assert len(m["loss_per_epoch"]) == 1 and math.isfinite(m["final_loss"])
    assert len(m["sample_T1.2"]) == 40 and set(m["sample_T0.2"]) <= set(TINY_TEXT.lower())
    text = (out_dir / m["text_file"]).read_text(encoding="utf-8")
    assert "temperature: 0.2" in text and "temperature: 1.2" in text
    assert result["data"][0]["kind"] == "made-for-tests"


def test_char_lstm_rejects_too_short_text(tmp_path, out_dir):
    root = fakedata.new_data_root(tmp_path / "short")
    (root / "datasets" / "nietzsche.txt").write_text("too short", encoding="utf-8")
    with pytest.raises(UserError, match="at least"):
        char_lstm_generation.main(smoke_args(root, out_dir))


# ---- deep_dream --------------------------------------------------------------------------------


def test_octave_shapes_and_layers_flag():
    assert deep_dream.octave_shapes((351, 525)) == [(179, 267), (250, 375), (351, 525)]
    assert deep_dream.parse_layers("a:0.2, b:3") == {"a": 0.2, "b": 3.0}
    with pytest.raises(UserError):
        deep_dream.parse_layers("a=0.2")


def test_dream_loss_excludes_borders_and_scales_by_size():
    act = np.zeros((1, 8, 8, 2), "float32")
    act[:, :2], act[:, -2:], act[:, :, :2], act[:, :, -2:] = 5, 5, 5, 5  # border only
    assert float(deep_dream.dream_loss({"l": tf.constant(act)}, {"l": 1.0})) == 0
    act[:, 3, 4, 1] = 2.0  # inside the border
    loss = deep_dream.dream_loss({"l": tf.constant(act)}, {"l": 0.5})
    assert np.isclose(float(loss), 0.5 * 4.0 / (8 * 8 * 2))


@pytest.mark.parametrize("base", ["mobilenet", "inception_v3"])
def test_deep_dream_smoke(ch8_data, out_dir, base):
    args = smoke_args(ch8_data, out_dir, "--base", base, "--weights", "none")
    result = deep_dream.main(args)
    m = result["metrics"]
    assert len(m["octave_shapes"]) == 3 and m["octave_shapes"][-1] == [90, 120]
    assert all(math.isfinite(o.get("last", 0.0)) for o in m["loss_per_octave"])
    name = "deep_dream@mobilenet.png" if base == "mobilenet" else "deep_dream.png"
    png = out_dir / "chapter08" / name
    assert png.exists() and Image.open(png).size == (120, 90)
    assert result["variant"] == ("mobilenet" if base == "mobilenet" else None)


def test_deep_dream_without_weights_fails_clearly(empty_data, out_dir):
    with pytest.raises(UserError, match="inception_v3_weights"):
        deep_dream.main(smoke_args(empty_data, out_dir))
    with pytest.raises(UserError, match="no such file"):
        deep_dream.main(smoke_args(empty_data, out_dir, "--weights", "/nonexistent.h5"))


# ---- neural_style_transfer ---------------------------------------------------------------------


def test_gram_matrix_and_losses():
    x = np.random.default_rng(0).normal(size=(3, 4, 5)).astype("float32")
    flat = x.reshape(-1, 5).T  # (channels, positions)
    assert np.allclose(neural_style_transfer.gram_matrix(tf.constant(x)), flat @ flat.T, atol=1e-4)
    assert float(neural_style_transfer.style_loss(x, x, 3, 4)) == 0
    img = np.zeros((1, 4, 4, 3), "float32")
    assert float(neural_style_transfer.total_variation_loss(tf.constant(img))) == 0
    img[0, 1, 1, 0] = 1.0
    # (1**2 + 1**2)**1.25 at (1,1) and 1**1.25 at (0,1) and (1,0)
    assert np.isclose(float(neural_style_transfer.total_variation_loss(img)), 2**1.25 + 2)


def test_one_lbfgs_round_lowers_the_loss():
    nst = neural_style_transfer
    keras.utils.set_random_seed(0)
    model = nst.build_base("mobilenet", None)
    content, style = "conv_pw_2_relu", ["conv1_relu", "conv_pw_1_relu"]
    extractor = keras.Model(model.input, {n: model.get_layer(n).output for n in [content, *style]})
    rng = np.random.default_rng(0)
    photo = nst.preprocess_image(rng.uniform(0, 255, (32, 40, 3)), "mobilenet")
    painting = nst.preprocess_image(rng.uniform(0, 255, (32, 40, 3)), "mobilenet")
    fp, fs = extractor(photo), extractor(painting)
    targets = {content: fp[content][0], **{n: fs[n][0] for n in style}}
    shape = (1, 32, 40, 3)
    fun = nst.scipy_objective(
        nst.make_loss_and_grads(extractor, content, style, targets, (0.025, 1e6, 1e-4), shape),
        shape,
    )
    x0 = photo.astype("float64").ravel()
    loss0, grad0 = fun(x0)
    assert grad0.dtype == np.float64 and grad0.shape == x0.shape and loss0 > 0
    x1, loss1 = nst.lbfgs_round(fun, x0, maxfun=5)
    assert loss1 < loss0 and x1.dtype == np.float64
    back = nst.deprocess_image(photo, "mobilenet")
    assert back.dtype == np.uint8 and back.shape == (32, 40, 3)


@pytest.mark.parametrize("base", ["mobilenet", "vgg19"])
def test_neural_style_transfer_smoke(ch8_data, out_dir, base):
    args = smoke_args(ch8_data, out_dir, "--base", base, "--weights", "none")
    result = neural_style_transfer.main(args)
    m = result["metrics"]
    assert m["image_size"] == [48, 64] and len(m["loss_per_iteration"]) == 1
    assert m["loss_last_iteration"] <= m["initial_loss"]
    stem = "neural_style_transfer" + ("@mobilenet" if base == "mobilenet" else "")
    assert Image.open(out_dir / "chapter08" / f"{stem}.png").size == (64, 48)
    assert (out_dir / "chapter08" / f"{stem}_iterations" / "round_00.png").exists()


def test_neural_style_transfer_bad_flags(ch8_data, out_dir):
    base = smoke_args(ch8_data, out_dir, "--base", "mobilenet", "--weights", "none")
    with pytest.raises(UserError, match="loss-weights"):
        neural_style_transfer.main([*base, "--loss-weights", "1,2"])
    with pytest.raises(UserError, match="not in"):
        neural_style_transfer.main([*base, "--content-layer", "block5_conv2"])
    with pytest.raises(UserError, match="not found"):
        neural_style_transfer.main([*base, "--style", "datasets/images/missing.jpg"])


# ---- vae ---------------------------------------------------------------------------------------


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


def test_vae_smoke(ch8_data, out_dir):
    result = vae.main(smoke_args(ch8_data, out_dir))
    m = result["metrics"]
    assert math.isfinite(m["val_loss"]) and len(m["val_loss_per_epoch"]) == 1
    assert m["test_kl_term"] >= 0
    assert Image.open(out_dir / "chapter08" / "vae_manifold.png").size[0] > 100


# ---- gan ---------------------------------------------------------------------------------------


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def _changed(before, after):
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


def test_gan_steps_train_the_right_network():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    generator, discriminator = gan.build_generator(8), gan.build_discriminator(8)
    model = gan.build_gan(generator, discriminator)
    real = rng.uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    g0, d0 = _weights(generator), _weights(discriminator)
    d_loss = gan.train_discriminator(generator, discriminator, real, rng)
    g1, d1 = _weights(generator), _weights(discriminator)
    assert _changed(d0, d1) and not _changed(g0, g1) and math.isfinite(d_loss)
    a_loss = gan.train_generator(discriminator, model, 4, rng)
    g2, d2 = _weights(generator), _weights(discriminator)
    assert _changed(g1, g2) and not _changed(d1, d2) and math.isfinite(a_loss)
    gan.train_discriminator(generator, discriminator, real, rng)  # D trains again afterwards
    assert _changed(d2, _weights(discriminator))
    assert generator.output.shape == (None, 32, 32, 3)
    grid = gan.image_grid(np.zeros((30, 32, 32, 3)), 5, 5)
    assert grid.shape == (160, 160, 3) and grid.dtype == np.uint8 and grid.max() == 127


def test_gan_smoke(ch8_data, out_dir):
    result = gan.main(smoke_args(ch8_data, out_dir))
    m = result["metrics"]
    assert m["losses_finite_throughout"] and m["steps_done"] == 3
    assert math.isfinite(m["d_loss_last_100_mean"]) and math.isfinite(m["a_loss_last_100_mean"])
    figures = result["figures"]
    assert "chapter08/gan_step2.png" in figures and "chapter08/gan_real.png" in figures
    assert Image.open(out_dir / "chapter08" / "gan_step2.png").size == (160, 160)


# ---- the CIFAR-10 frogs loader -----------------------------------------------------------------


def test_load_cifar10_frogs_from_npz(ch8_data):
    x = datasets.load_cifar10_frogs(ch8_data)
    assert x.shape == (60, 32, 32, 3) and x.dtype == np.uint8
    assert np.array_equal(x, _frogs(60))


def test_load_cifar10_frogs_from_the_official_tarball(tmp_path):
    root = fakedata.new_data_root(tmp_path / "tar")
    expected = _cifar_tar(root / "datasets" / "cifar-10-python.tar.gz")
    x = datasets.load_cifar10_frogs(root)
    assert x.shape == (15, 32, 32, 3) and np.array_equal(x, expected)
    assert datasets.used_sources()[-1]["what"].startswith("CIFAR-10 (frogs")


def test_load_cifar10_frogs_errors(tmp_path, empty_data):
    with pytest.raises(UserError, match="cifar10_frogs.npz or datasets/cifar-10-python.tar.gz"):
        datasets.load_cifar10_frogs(empty_data)
    root = fakedata.new_data_root(tmp_path / "bad")
    np.savez(root / "datasets" / "cifar10_frogs.npz", x_train=np.zeros((4, 32, 32, 3), "float32"))
    with pytest.raises(UserError, match="dtype"):
        datasets.load_cifar10_frogs(root)
    np.savez(root / "datasets" / "cifar10_frogs.npz", x_train=np.zeros((4, 3, 32, 32), "uint8"))
    with pytest.raises(UserError, match="shape"):
        datasets.load_cifar10_frogs(root)
    np.savez(root / "datasets" / "cifar10_frogs.npz", images=np.zeros((4, 32, 32, 3), "uint8"))
    with pytest.raises(UserError, match="missing key"):
        datasets.load_cifar10_frogs(root)
    tar_root = fakedata.new_data_root(tmp_path / "badtar")
    (tar_root / "datasets" / "cifar-10-python.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(UserError, match="not a readable CIFAR-10"):
        datasets.load_cifar10_frogs(tar_root)
    evil = fakedata.new_data_root(tmp_path / "evil") / "datasets" / "cifar-10-python.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        blob = pickle.dumps({b"data": print})  # a global other than NumPy's: refused
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    with pytest.raises(UserError, match="forbidden"):
        datasets.load_cifar10_frogs(evil.parent.parent)


# ---- real data ---------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_frogs_and_nietzsche(real_data):
    frogs = datasets.load_cifar10_frogs(real_data)
    assert frogs.shape == (5000, 32, 32, 3) and frogs.dtype == np.uint8
    # Keras' cifar10 x_train[0] (a frog) starts [[59, 62, 63], [43, 46, 45], ...]
    assert frogs[0, 0, :2].tolist() == [[59, 62, 63], [43, 46, 45]]
    text = datasets.load_text("datasets/nietzsche.txt", real_data)
    assert len(text) == 600893  # the book's "Corpus length"
    sentences, _ = char_lstm_generation.extract_sequences(text.lower())
    assert len(sentences) == 200278 and len(set(text.lower())) == 57  # the book's counts
