"""Chapter 8: sampling, text generation, DeepDream, style transfer, VAE, GAN; every script on tiny
data in the real formats (text, npz, JPEG, CIFAR tarball), with `--weights none` for the
pretrained bases."""

import ast
import io
import json
import math
import pickle
import tarfile
from pathlib import Path

import fakedata
import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from fakedata.nietzsche import TINY_TEXT
from keras import layers
from PIL import Image
from scipy.stats import norm
from support import REPO_ROOT, smoke_args

from chapter08 import (
    char_lstm_generation,
    deep_dream,
    gan,
    neural_style_transfer,
    text_sampling,
    vae,
)
from chapter08.text_sampling import reweight_distribution, sample
from dlwp import flags
from dlwp.data import cifar10, nietzsche
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData, UserError


@pytest.fixture(scope="session")
def ch8_data(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("ch8_data"))
    fakedata.write_nietzsche(root)
    fakedata.write_mnist(root, n_train=256, n_test=64)
    fakedata.write_cifar10_frogs(root, n=60)
    fakedata.write_elephant(root, size=(120, 90))
    fakedata.write_style_images(root)
    return root


def folders(root) -> DataFolders:
    return DataFolders.resolve(root)


def spec(layer):
    """A layer as the book writes it: 'Conv2DTranspose(256, 4, strides=2, padding=same)'."""
    c, kind = layer.get_config(), type(layer).__name__

    def short(v):  # (3, 3) -> 3
        v = tuple(v) if isinstance(v, list | tuple) else v
        return v[0] if isinstance(v, tuple) and len(set(v)) == 1 else v

    sizes = ("units", "filters", "rate", "target_shape", "negative_slope")
    args = [c[k] for k in sizes if k in c]
    args += [short(c[k]) for k in ("kernel_size",) if k in c]
    if short(c.get("strides", 1)) != 1:
        args.append(f"strides={short(c['strides'])}")
    if c.get("padding", "valid") != "valid":
        args.append(f"padding={c['padding']}")
    if c.get("activation", "linear") != "linear":
        args.append(c["activation"])
    return f"{kind}({', '.join(map(str, args))})"


def specs(model):
    return [spec(layer) for layer in model.layers if not isinstance(layer, layers.InputLayer)]


def inputs(model):
    return [(tuple(t.shape), t.dtype) for t in model.inputs]


def compiled(model):
    """Optimizer (class, learning rate or its schedule, epsilon, clipping), loss."""
    config = model.get_compile_config()
    opt = config["optimizer"]["config"]
    clip = {k: opt[k] for k in ("clipnorm", "clipvalue", "global_clipnorm") if opt[k] is not None}
    lr = opt["learning_rate"]
    if isinstance(lr, dict):  # a schedule: InverseTimeDecay(0.0008, decay_steps=1, ...)
        c = lr["config"]
        lr = f"{lr['class_name']}({c['initial_learning_rate']:.6g}, "
        lr += f"decay_steps={c['decay_steps']}, decay_rate={c['decay_rate']:.6g})"
    else:
        lr = f"{lr:.6g}"
    optimizer = f"{config['optimizer']['class_name']}({lr}, epsilon={opt['epsilon']:.3g})"
    return {"optimizer": optimizer, **clip, "loss": config["loss"]}


def portable(result, *paths) -> bool:
    """No path of this machine (the data and output folders) in a result."""
    text = json.dumps(result)
    return not any(str(Path(p).resolve()) in text or str(p) in text for p in paths)


def test_scripts_import_no_other_chapter():
    for script in sorted((REPO_ROOT / "chapter08").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0 and not node.module.startswith("chapter"), script.name
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("chapter") for a in node.names), script.name


def test_book_values_are_printed_numbers_or_none():
    """Every BOOK value is a number the notebook printed (cited in the script) or None; no
    paraphrase like "~0.69" (the network's name aside)."""
    for module in (
        text_sampling,
        char_lstm_generation,
        deep_dream,
        neural_style_transfer,
        vae,
        gan,
    ):
        for key, value in module.BOOK.items():
            if key != "base":
                assert value is None or isinstance(value, int | float | list), (module, key)


# ---- text_sampling -----------------------------------------------------------------------------


def test_reweight_distribution_sharpens_and_flattens():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    assert np.allclose(reweight_distribution(p, 1.0), p)
    cold, hot = reweight_distribution(p, 0.2), reweight_distribution(p, 2.0)
    assert np.isclose(cold.sum(), 1) and np.isclose(hot.sum(), 1)
    assert cold[0] > p[0] > hot[0] and hot[-1] > p[-1] > cold[-1]
    for t in (0.01, 0.2, 0.5, 1.2, 2.0):  # listing 8.1: p ** (1 / T), renormalized
        assert np.allclose(reweight_distribution(p, t), p ** (1 / t) / np.sum(p ** (1 / t)))
    with pytest.raises(ValueError):
        reweight_distribution(p, 0)


# near-one-hot at T=0.01 whatever the position of the top (the runner-up is 3/4 of it or less)
PEAKED = [
    np.array([0.4, 0.3, 0.2, 0.1]),
    np.array([0.1, 0.2, 0.3, 0.4]),
    np.array([0.05, 0.15, 0.45, 0.3, 0.05]),
]


@pytest.mark.parametrize("sampler", [text_sampling.sample, char_lstm_generation.sample])
def test_sample_at_low_temperature_is_the_argmax(sampler):
    rng = np.random.default_rng(0)
    for p in PEAKED:
        assert {sampler(p, 0.01, rng) for _ in range(200)} == {int(np.argmax(p))}
        # at T=1 the same draws spread: the temperature, not the sampler, made them one
        assert len({sampler(p, 1.0, rng) for _ in range(200)}) == len(p)


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


def test_the_two_samples_agree():
    """char_lstm_generation writes the book's `sample` out again: the same draws as
    text_sampling's, from the same generator, for model-like outputs (float32, zeros too)."""
    rng = np.random.default_rng(7)
    cases = [rng.dirichlet(np.ones(57) * a).astype("float32") for a in (0.1, 1.0, 10.0)]
    cases.append(np.array([0.0, 0.5, 0.3, 0.2, 0.0]))  # impossible characters stay impossible
    for preds in cases:
        for t in (0.01, 0.2, 0.5, 1.0, 1.2, 2.0):
            a, b = np.random.default_rng(3), np.random.default_rng(3)
            draws = [char_lstm_generation.sample(preds, t, a) for _ in range(200)]
            assert draws == [text_sampling.sample(preds, t, b) for _ in range(200)]
            assert all(preds[d] > 0 for d in draws) and all(type(d) is int for d in draws)
    np.random.seed(5)  # no generator: NumPy's global one, as the book
    first = [char_lstm_generation.sample(cases[1], 1.0) for _ in range(50)]
    np.random.seed(5)
    assert first == [text_sampling.sample(cases[1], 1.0) for _ in range(50)]
    assert len(set(first)) > 5


def test_text_sampling_smoke(out_dir):
    result = text_sampling.main(["--profile", "smoke", "--output-dir", str(out_dir)])
    m = result["metrics"]
    p = text_sampling.ORIGINAL
    entropies = []
    for t in text_sampling.TEMPERATURES:  # reweighted here, as listing 8.1 writes it
        q = p ** (1 / t) / np.sum(p ** (1 / t))
        q_nz = q[q > 0]
        entropies.append(float(-np.sum(q_nz * np.log(q_nz))))
        assert math.isclose(m["top_probability_by_temperature"][f"T={t}"], q.max(), rel_tol=1e-9)
        # 500 seeded draws per temperature: their frequencies are those of q
        assert np.abs(np.array(m["draw_frequencies"][f"T={t}"]) - q).max() < 0.07
    assert np.allclose(list(m["entropy_by_temperature"].values()), entropies)
    assert np.all(np.diff(entropies) > 0) and m["top_probability_by_temperature"]["T=0.01"] > 0.99
    assert result["figures"] == ["chapter08/text_sampling.smoke.png"]
    assert (out_dir / "chapter08" / "text_sampling.smoke.png").exists()
    assert (out_dir / "chapter08" / "text_sampling.smoke.json").exists()


# ---- char_lstm_generation ----------------------------------------------------------------------


def test_plot_distributions_draws_every_bar():
    p = text_sampling.ORIGINAL
    reweighted = {t: reweight_distribution(p, t) for t in (0.5, 2.0)}
    fig = text_sampling.plot_distributions(p, reweighted)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert np.allclose(heights, np.concatenate([p, reweighted[0.5], reweighted[2.0]]))


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


def test_char_lstm_model_is_listing_8_5s():
    model = char_lstm_generation.build_model(60, 57)
    assert inputs(model) == [((None, 60, 57), "float32")]
    assert specs(model) == ["LSTM(128, tanh)", "Dense(57, softmax)"]
    # the book's RMSprop(lr=0.01) (notebook 8.1, cell 9), no clipping
    assert compiled(model) == {
        "optimizer": "RMSprop(0.01, epsilon=1e-16)",
        "loss": "categorical_crossentropy",
    }
    # clipnorm=1.0: our guard against the book's divergence, only with --guard
    guarded = char_lstm_generation.build_model(60, 57, clipnorm=1.0)
    assert compiled(guarded) == {
        "optimizer": "RMSprop(0.01, epsilon=1e-16)",
        "clipnorm": 1.0,
        "loss": "categorical_crossentropy",
    }


def test_char_lstm_full_profile_is_the_books_run():
    """Notebook 8.1, cell 13: `for epoch in range(1, 60)` (59 epochs), batch 128, 400 characters
    per temperature, no guard; quick and smoke keep the guard on."""
    full = char_lstm_generation.parse_args(["--profile", "full"])
    assert (full.epochs, full.batch_size, full.gen_length, full.guard) == (59, 128, 400, False)
    assert full.max_chars is None
    assert char_lstm_generation.TEMPERATURES == (0.2, 0.5, 1.0, 1.2)
    assert char_lstm_generation.parse_args(["--profile", "quick"]).guard is True
    assert char_lstm_generation.parse_args(["--profile", "full", "--guard"]).guard is True
    assert char_lstm_generation.parse_args(["--profile", "quick", "--no-guard"]).guard is False
    book = char_lstm_generation.BOOK
    assert len(book["loss_per_epoch"]) == 59 and book["final_loss"] == book["loss_per_epoch"][-1]
    assert book["min_loss"] == min(book["loss_per_epoch"]) == book["loss_per_epoch"][53]


def test_temperatures_carry_the_text_over():
    """The notebook's loop (cell 13): each temperature starts from the last 60 characters of the
    previous one's text, not from the seed again."""
    keras.utils.set_random_seed(0)
    chars = "abcde"
    idx = {c: i for i, c in enumerate(chars)}
    model = char_lstm_generation.build_model(4, len(chars))
    texts = char_lstm_generation.generate_at_temperatures(
        model, "abca", (0.2, 0.5, 1.0), 6, idx, np.random.default_rng(0)
    )
    assert [start for start, _ in texts] == [
        "abca",
        ("abca" + texts[0][1])[-4:],
        (texts[0][1] + texts[1][1])[-4:],
    ]
    # the same draws as generate_text called from each of those starts
    rng = np.random.default_rng(0)
    for (start, generated), t in zip(texts, (0.2, 0.5, 1.0), strict=True):
        assert char_lstm_generation.generate_text(model, start, t, 6, idx, rng) == generated


def test_generate_text_at_low_temperature_is_greedy():
    """At T=0.01 each generated character is the model's most likely one: the same text as a
    greedy decoding written here (the temperature reaches `sample`)."""
    keras.utils.set_random_seed(0)
    chars = "abcde"
    idx = {c: i for i, c in enumerate(chars)}
    model = char_lstm_generation.build_model(4, len(chars))
    # sharper than at initialization (the top at least 1/0.88 times the runner-up), so that at
    # T=0.01 the argmax is all but certain, while at T=1 the draws still depart from it
    model.layers[-1].set_weights([w * 10 for w in model.layers[-1].get_weights()])
    seed = "abca"
    got = char_lstm_generation.generate_text(model, seed, 0.01, 12, idx, np.random.default_rng(0))
    text = seed
    for _ in range(12):
        x = np.eye(len(chars), dtype="float32")[[idx[c] for c in text[-4:]]][None]
        text += chars[int(np.argmax(model.predict_on_batch(x)[0]))]
    assert got == text[4:]
    warm = char_lstm_generation.generate_text(model, seed, 1.0, 12, idx, np.random.default_rng(0))
    assert warm != got  # at T=1, not the greedy text


def test_char_lstm_generation_smoke(ch8_data, out_dir):
    result = char_lstm_generation.main(smoke_args(ch8_data, out_dir))
    m = result["metrics"]
    assert len(m["loss_per_epoch"]) == 1 and math.isfinite(m["final_loss"])
    assert len(m["sample_T1.2"]) == 40 and set(m["sample_T0.2"]) <= set(TINY_TEXT.lower())
    assert m["text_file"] == "chapter08/char_lstm_generation.smoke.txt"
    text = (out_dir / m["text_file"]).read_text(encoding="utf-8")
    assert "temperature: 0.2" in text and "temperature: 1.2" in text
    # each temperature's text starts with the last 60 characters of the previous one's
    blocks = [b.split("\n", 1)[1] for b in text.split("------ temperature: ")[1:]]
    assert len(blocks) == 4 and all(b[100:] in ("\n", "\n\n") for b in blocks)
    blocks = [b[:100] for b in blocks]  # 60 characters to start from, 40 generated
    for previous, block in zip(blocks, blocks[1:]):
        assert block[:60] == previous[-60:]
    assert blocks[-1][60:] == m["sample_T1.2"]
    assert m["divergence_stop"] is None and m["min_loss"] == m["final_loss"]
    assert result["data"] == [
        {
            "file": "datasets/nietzsche.txt",
            "folder": "--data-dir",
            "what": "Nietzsche corpus",
            "kind": "made-for-tests",
        }
    ]
    assert portable(result, ch8_data, out_dir)


def test_char_lstm_rejects_too_short_text(tmp_path, out_dir):
    root = fakedata.new_data_root(tmp_path / "short")
    fakedata.write_nietzsche(root, "too short")
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
    assert m["octave_shapes"] == [[45, 61], [64, 85], [90, 120]]  # / 1.4 and / 1.4**2
    assert [o["steps"] for o in m["loss_per_octave"]] == [2, 2, 2]
    assert all(map(math.isfinite, [o[k] for o in m["loss_per_octave"] for k in ("first", "last")]))
    if base == "inception_v3":  # the book's layers and max_loss; ascent: the loss rises
        assert m["layers"] == {"mixed2": 0.2, "mixed3": 3.0, "mixed4": 2.0, "mixed5": 1.5}
        assert m["max_loss"] == 10.0
        assert all(o["last"] > o["first"] for o in m["loss_per_octave"][1:])
        assert result["book"] == deep_dream.BOOK and m["stands_in_for"] is None
    else:
        assert m["layers"] == deep_dream.DEFAULT_LAYERS["mobilenet"] and m["max_loss"] == 35.0
        # nothing the book measured on InceptionV3 sits next to the stand-in's row
        assert result["book"] == dict.fromkeys(deep_dream.BOOK)
        assert m["stands_in_for"] == "InceptionV3 (weights absent)"
    name = "deep_dream@mobilenet.smoke.png" if base == "mobilenet" else "deep_dream.smoke.png"
    assert result["figures"] == [f"chapter08/{name}"]
    png = out_dir / "chapter08" / name
    assert png.exists() and Image.open(png).size == (120, 90)
    assert result["variant"] == ("mobilenet" if base == "mobilenet" else None)
    assert result["data"][0]["file"] == "datasets/images/creative_commons_elephant.jpg"
    assert portable(result, ch8_data, out_dir)


def test_deep_dream_without_weights_fails_clearly(empty_data, out_dir):
    with pytest.raises(MissingData) as exc:
        deep_dream.main(smoke_args(empty_data, out_dir))
    assert exc.value.files == ["models/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"]
    with pytest.raises(UserError, match="no such file"):
        deep_dream.main(smoke_args(empty_data, out_dir, "--weights", "/nonexistent.h5"))


def test_deep_dream_image_and_weights_errors(ch8_data, tmp_path, out_dir, capsys, monkeypatch):
    args = smoke_args(ch8_data, out_dir, "--base", "mobilenet")
    missing = str(tmp_path / "no_photo.jpg")
    with pytest.raises(UserError) as exc:
        deep_dream.main([*args, "--weights", "none", "--image", missing])
    assert exc.value.problem == f"--image {missing}: no such file"
    with pytest.raises(MissingData, match="not found") as exc:
        deep_dream.main([*args, "--weights", "none", "--image", "datasets/images/none.jpg"])
    assert exc.value.files == ["datasets/images/none.jpg"]
    not_a_photo = tmp_path / "photo.jpg"
    not_a_photo.write_text("text, not a JPEG")
    with pytest.raises(BadData, match="not a decodable image"):
        deep_dream.main([*args, "--weights", "none", "--image", str(not_a_photo)])

    # a weights file that is not the network's: one line from the shell, portable fields
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not an HDF5 file")
    with pytest.raises(BadData) as exc:
        deep_dream.main([*args, "--weights", str(bad)])
    assert exc.value.fields["file"] == "bad.h5"
    assert "not loadable as the MobileNet (alpha 0.25) weights" in exc.value.problem
    error_json = tmp_path / "error.json"
    monkeypatch.setenv(flags.ERROR_JSON_ENV, str(error_json))
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        flags.run(deep_dream.main, [*args, "--weights", str(bad)])
    assert stop.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "bad.h5" in lines[0]
    stored = json.loads(error_json.read_text())
    assert stored["kind"] == "bad input" and stored["file"] == "bad.h5"
    assert str(tmp_path) not in json.dumps(stored)


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


def test_one_lbfgs_round_lowers_the_loss(empty_data):
    nst = neural_style_transfer
    keras.utils.set_random_seed(0)
    model = nst.build_base("mobilenet", folders(empty_data), None)
    # MobileNet alpha 0.25 (32 x 0.25 = 8 first filters), any input size, no classifier
    assert model.get_layer("conv1").filters == 8 and model.layers[-1].name == "conv_pw_13_relu"
    assert inputs(model) == [((None, None, None, 3), "float32")]
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
    assert m["loss_last_iteration"] < m["initial_loss"]
    if base == "vgg19":  # the book's layers and weights (content, style, total variation)
        assert m["layers"] == {
            "content": "block5_conv2",
            "style": [f"block{i}_conv1" for i in range(1, 6)],
        }
        assert m["loss_weights"] == [0.025, 1.0, 1e-4]
        assert result["book"] == neural_style_transfer.BOOK and m["stands_in_for"] is None
    else:
        assert m["layers"]["content"] == "conv_pw_10_relu"
        assert m["loss_weights"] == [0.025, 3e6, 1e-4]
        assert result["book"] == dict.fromkeys(neural_style_transfer.BOOK)
        assert m["stands_in_for"] == "VGG19 (weights absent)"
    # the notebook's losses were for other images (a portrait and a Popova painting): none here
    assert all(v is None for k, v in result["book"].items() if k != "base")
    stem = "neural_style_transfer" + ("@mobilenet" if base == "mobilenet" else "") + ".smoke"
    assert result["figures"] == [f"chapter08/{stem}.png"]
    assert Image.open(out_dir / "chapter08" / f"{stem}.png").size == (64, 48)
    assert (out_dir / "chapter08" / f"{stem}_iterations" / "round_00.png").exists()
    assert [d["file"] for d in result["data"]] == [
        "datasets/images/Tubingen.jpg",
        "datasets/images/transfer_style_reference.jpg",
    ]
    assert portable(result, ch8_data, out_dir)


def test_neural_style_transfer_bad_flags(ch8_data, tmp_path, out_dir):
    base = smoke_args(ch8_data, out_dir, "--base", "mobilenet", "--weights", "none")
    with pytest.raises(UserError, match="loss-weights"):
        neural_style_transfer.main([*base, "--loss-weights", "1,2"])
    with pytest.raises(UserError, match="not in"):
        neural_style_transfer.main([*base, "--content-layer", "block5_conv2"])
    with pytest.raises(MissingData, match="not found"):
        neural_style_transfer.main([*base, "--style", "datasets/images/missing.jpg"])
    missing = str(tmp_path / "missing.jpg")
    with pytest.raises(UserError) as exc:
        neural_style_transfer.main([*base, "--content", missing])
    assert exc.value.problem == f"--content {missing}: no such file"
    with pytest.raises(UserError) as exc:
        neural_style_transfer.main([*base, "--style", missing])
    assert exc.value.problem == f"--style {missing}: no such file"


def test_neural_style_transfer_weights_of_another_network(ch8_data, tmp_path, out_dir):
    other = tmp_path / "other_network.h5"  # a Keras weights file with none of MobileNet's layers
    with h5py.File(other, "w") as f:
        f.attrs["layer_names"] = [b"dense"]
        f.create_group("dense").attrs["weight_names"] = []
    args = smoke_args(ch8_data, out_dir, "--base", "mobilenet", "--weights", str(other))
    with pytest.raises(BadData, match="not loadable as the MobileNet") as exc:
        neural_style_transfer.main(args)
    assert exc.value.fields["file"] == "other_network.h5"
    assert len(str(exc.value).splitlines()) == 1


# ---- vae ---------------------------------------------------------------------------------------


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


def test_vae_smoke(ch8_data, out_dir):
    result = vae.main(smoke_args(ch8_data, out_dir))
    m = result["metrics"]
    assert result["settings"]["sampling"] == "book"  # the default, every profile
    assert math.isfinite(m["val_loss"]) and len(m["val_loss_per_epoch"]) == 1
    assert result["figures"] == ["chapter08/vae.smoke_manifold.png"]
    assert Image.open(out_dir / "chapter08" / "vae.smoke_manifold.png").size[0] > 100
    assert result["data"][0]["file"] == "datasets/mnist.npz"


# ---- gan ---------------------------------------------------------------------------------------


def test_gan_is_the_books_model():
    """Section 8.5 at the book's widths: LeakyReLU (slope 0.3) after every layer but the last,
    the 4x4 stride-2 Conv2DTranspose up to 32x32, RMSprop with clipvalue=1.0 and decay=1e-8 as
    an InverseTimeDecay schedule (notebook 8.5, cells 7 and 9)."""
    generator, discriminator = gan.build_generator(), gan.build_discriminator()
    assert inputs(generator) == [((None, 32), "float32")]
    assert specs(generator) == [
        "Dense(32768)",
        "LeakyReLU(0.3)",
        "Reshape((16, 16, 128))",
        "Conv2D(256, 5, padding=same)",
        "LeakyReLU(0.3)",
        "Conv2DTranspose(256, 4, strides=2, padding=same)",
        "LeakyReLU(0.3)",
        "Conv2D(256, 5, padding=same)",
        "LeakyReLU(0.3)",
        "Conv2D(256, 5, padding=same)",
        "LeakyReLU(0.3)",
        "Conv2D(3, 7, padding=same, tanh)",
    ]
    assert inputs(discriminator) == [((None, 32, 32, 3), "float32")]
    assert specs(discriminator) == [
        "Conv2D(128, 3)",
        "LeakyReLU(0.3)",
        "Conv2D(128, 4, strides=2)",
        "LeakyReLU(0.3)",
        "Conv2D(128, 4, strides=2)",
        "LeakyReLU(0.3)",
        "Conv2D(128, 4, strides=2)",
        "LeakyReLU(0.3)",
        "Flatten()",
        "Dropout(0.4)",
        "Dense(1, sigmoid)",
    ]
    # notebook 8.5, cell 5 (generator.summary()): "Total params: 6,264,579"; cell 7
    # (discriminator.summary()): "Total params: 790,913"
    assert generator.count_params() == 6264579 and discriminator.count_params() == 790913
    model = gan.build_gan(generator, discriminator)
    assert model.layers[1:] == [generator, discriminator] and not discriminator.trainable
    rms = {"clipvalue": 1.0, "loss": "binary_crossentropy"}
    decay = "decay_steps=1, decay_rate=1e-08"
    assert compiled(discriminator) == {
        "optimizer": f"RMSprop(InverseTimeDecay(0.0008, {decay}), epsilon=1e-16)",
        **rms,
    }
    assert compiled(model) == {
        "optimizer": f"RMSprop(InverseTimeDecay(0.0004, {decay}), epsilon=1e-16)",
        **rms,
    }


def test_gan_learning_rate_decays_as_keras_2s():
    """Keras 2.0.8's RMSprop(decay=1e-8) used lr / (1 + decay * iterations): the schedule gives
    the same rate at every step (each optimizer counting its own steps)."""
    optimizer = gan.build_discriminator(8).optimizer
    for step in (0, 1, 5000, 10**7):
        optimizer.iterations.assign(step)
        expected = 0.0008 / (1 + 1e-8 * step)
        assert math.isclose(float(optimizer.learning_rate), expected, rel_tol=1e-6)
    optimizer.iterations.assign(10**8)  # halved after 1e8 steps
    assert math.isclose(float(optimizer.learning_rate), 0.0004, rel_tol=1e-6)


def test_gan_full_profile_is_the_books_run():
    """Notebook 8.5, cell 11: 10,000 steps of batch 20, frogs scaled to [0, 1], losses printed
    every 100 steps (the BOOK lists: 100 values each, step 9900 last)."""
    full = gan.parse_args(["--profile", "full"])
    assert (full.steps, full.gen_width, full.disc_width) == (10000, 256, 128)
    assert (full.save_every, full.pixels, full.max_images, gan.BATCH_SIZE) == (
        100,
        "unit",
        None,
        20,
    )
    assert gan.parse_args(["--profile", "quick"]).pixels == "tanh"
    book = gan.BOOK
    assert len(book["d_loss_every_save"]) == len(book["a_loss_every_save"]) == 100
    assert book["d_loss_every_save"][0] == 0.685675 and book["a_loss_every_save"][0] == 0.667591
    assert book["d_loss_every_save"][-1] == 0.669288 and book["a_loss_every_save"][-1] == 0.677691


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

    # the labels: D learns "generated" = 1, "real" = 0; G learns to make D say 0 for its images
    z = rng.normal(size=(16, gan.LATENT_DIM)).astype("float32")

    def d_real_and_fake():
        fake = generator.predict_on_batch(z)
        return np.mean(discriminator.predict_on_batch(real)), np.mean(
            discriminator.predict_on_batch(fake)
        )

    real0, _ = d_real_and_fake()
    for _ in range(5):
        gan.train_discriminator(generator, discriminator, real, rng)
    real1, fake1 = d_real_and_fake()
    assert real1 < real0 - 0.02 and real1 < fake1 - 0.05
    for _ in range(5):
        gan.train_generator(discriminator, model, 4, rng)
    real2, fake2 = d_real_and_fake()
    assert fake2 < fake1 and real2 == real1  # D frozen, G moved toward "real"


def test_image_grid():
    unit = np.zeros((25, 32, 32, 3))  # the book's [0, 1] frogs
    unit[7], unit[0, 0, 0] = 1.0, 0.5
    grid = gan.image_grid(unit, 5, 5, "unit")
    assert np.all(grid[32:64, 64:96] == 255) and np.sum(grid == 255) == 32 * 32 * 3
    assert grid[0, 0].tolist() == [127, 127, 127] and grid[0, 1].tolist() == [0, 0, 0]
    images = np.zeros((30, 32, 32, 3))
    grid = gan.image_grid(images, 5, 5)
    assert grid.shape == (160, 160, 3) and grid.dtype == np.uint8 and grid.max() == 127
    images[7] = 1.0  # the 8th image: row 1, column 2, white
    images[0, 0, 0] = -1.0  # the first pixel black
    grid = gan.image_grid(images, 5, 5)
    assert np.all(grid[32:64, 64:96] == 255) and np.sum(grid == 255) == 32 * 32 * 3
    assert grid[0, 0].tolist() == [0, 0, 0] and grid[0, 1].tolist() == [127, 127, 127]


@pytest.mark.parametrize("pixels", ["tanh", "unit"])
def test_gan_smoke(ch8_data, out_dir, pixels):
    result = gan.main(smoke_args(ch8_data, out_dir, "--pixels", pixels))
    m = result["metrics"]
    # the real frogs' grid shows the frogs as they are, whatever their scaling
    real = np.asarray(Image.open(out_dir / "chapter08" / "gan.smoke_real.png"))
    frogs = fakedata.cifar10.frogs(60)[:25]
    assert real.shape == (160, 160, 3)
    assert np.abs(real.astype(int) - gan.image_grid(frogs / 255.0, 5, 5, "unit")).max() <= 1
    assert m["steps_done"] == 3
    assert math.isfinite(m["d_loss_last_100_mean"]) and math.isfinite(m["a_loss_last_100_mean"])
    assert result["figures"] == [
        "chapter08/gan.smoke_step2.png",
        "chapter08/gan.smoke_losses.png",
        "chapter08/gan.smoke_real.png",
    ]
    assert Image.open(out_dir / "chapter08" / "gan.smoke_step2.png").size == (160, 160)
    assert result["data"][0]["file"] == "datasets/cifar10_frogs.npz"


# ---- the CIFAR-10 frogs loader -----------------------------------------------------------------


def test_load_cifar10_frogs_from_npz(ch8_data):
    x = cifar10.load_frogs(folders(ch8_data))
    assert x.shape == (60, 32, 32, 3) and x.dtype == np.uint8
    assert np.array_equal(x, fakedata.cifar10.frogs(60))


def test_load_cifar10_frogs_from_the_official_tarball(tmp_path):
    root = fakedata.new_data_root(tmp_path / "tar")
    expected = fakedata.write_cifar10_tar(root / "datasets" / "cifar-10-python.tar.gz")
    data = folders(root)
    x = cifar10.load_frogs(data)
    assert x.shape == (15, 32, 32, 3) and np.array_equal(x, expected)
    assert data.read[-1]["what"].startswith("CIFAR-10 (frogs")
    assert data.read[-1]["file"] == "datasets/cifar-10-python.tar.gz"


def test_load_cifar10_frogs_errors(tmp_path, empty_data):
    with pytest.raises(MissingData) as exc:
        cifar10.load_frogs(folders(empty_data))
    assert "datasets/cifar-10-python.tar.gz" in exc.value.files
    assert "downloads are off" in exc.value.problem
    root = fakedata.new_data_root(tmp_path / "bad")
    np.savez(root / "datasets" / "cifar10_frogs.npz", x_train=np.zeros((4, 32, 32, 3), "float32"))
    with pytest.raises(BadData, match="dtype"):
        cifar10.load_frogs(folders(root))
    np.savez(root / "datasets" / "cifar10_frogs.npz", x_train=np.zeros((4, 3, 32, 32), "uint8"))
    with pytest.raises(BadData, match="shape"):
        cifar10.load_frogs(folders(root))
    np.savez(root / "datasets" / "cifar10_frogs.npz", images=np.zeros((4, 32, 32, 3), "uint8"))
    with pytest.raises(BadData, match="missing key"):
        cifar10.load_frogs(folders(root))
    tar_root = fakedata.new_data_root(tmp_path / "badtar")
    (tar_root / "datasets" / "cifar-10-python.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(BadData, match="not a readable CIFAR-10"):
        cifar10.load_frogs(folders(tar_root))
    evil = fakedata.new_data_root(tmp_path / "evil") / "datasets" / "cifar-10-python.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        blob = pickle.dumps({b"data": print})  # a global other than NumPy's: refused
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    with pytest.raises(BadData, match="forbidden"):
        cifar10.load_frogs(folders(evil.parent.parent))


# ---- real data ---------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_frogs_and_nietzsche(real_data):
    data = folders(real_data)
    frogs = cifar10.load_frogs(data)
    assert frogs.shape == (5000, 32, 32, 3) and frogs.dtype == np.uint8
    # Keras' cifar10 x_train[0] (a frog) starts [[59, 62, 63], [43, 46, 45], ...]
    assert frogs[0, 0, :2].tolist() == [[59, 62, 63], [43, 46, 45]]
    text = nietzsche.load_text(data)
    assert len(text) == 600893  # the book's "Corpus length"
    sentences, _ = char_lstm_generation.extract_sequences(text.lower())
    assert len(sentences) == 200278 and len(set(text.lower())) == 57  # the book's counts
    assert [d["kind"] for d in data.read] == ["real", "real"]
