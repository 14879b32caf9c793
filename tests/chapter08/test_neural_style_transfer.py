"""Chapter 8, neural style transfer (notebook 8.3): the Gram matrix and the three weighted losses
against NumPy; the photo and the painting reaching the network with its own preprocessing; the
book's layers and weights."""

import fakedata
import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from ch08_helpers import inputs, portable
from keras import layers
from PIL import Image
from support import smoke_args

from chapter08 import neural_style_transfer
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData, UserError


@pytest.fixture(scope="module")
def style_data(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("style"))
    fakedata.write_style_images(root)
    return root


def folders(root) -> DataFolders:
    return DataFolders.resolve(root)


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
def test_neural_style_transfer_smoke(style_data, out_dir, base, monkeypatch):
    nst, seen = neural_style_transfer, {}
    make, lbfgs = nst.make_loss_and_grads, nst.lbfgs_round

    def recorded_make(extractor, content_layer, style_layers, targets, loss_weights, shape):
        seen.update(extractor=extractor, targets=targets, loss_weights=loss_weights, shape=shape)
        return make(extractor, content_layer, style_layers, targets, loss_weights, shape)

    def recorded_lbfgs(fun, x, maxfun):
        seen.setdefault("x0", np.array(x))
        seen["maxfun"] = maxfun
        return lbfgs(fun, x, maxfun)

    monkeypatch.setattr(nst, "make_loss_and_grads", recorded_make)
    monkeypatch.setattr(nst, "lbfgs_round", recorded_lbfgs)
    args = smoke_args(style_data, out_dir, "--base", base, "--weights", "none")
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
    assert portable(result, style_data, out_dir)

    # The images, read here at the generated size (48 x 64), each through the network's own
    # preprocessing (VGG19: BGR, ImageNet mean pixel subtracted; MobileNet: [-1, 1]): the photo
    # gives the content target and the starting image, the painting the style targets.
    images = style_data / "datasets" / "images"
    photo = np.asarray(Image.open(images / "Tubingen.jpg").convert("RGB"), dtype="float32")
    painting = Image.open(images / "transfer_style_reference.jpg").convert("RGB")
    painting = np.asarray(painting.resize((64, 48), Image.BILINEAR), dtype="float32")
    assert photo.shape == painting.shape == (48, 64, 3)

    def prepared(rgb):
        if base == "vgg19":
            return (rgb[..., ::-1] - np.array([103.939, 116.779, 123.68]))[None]
        return (rgb / 127.5 - 1.0)[None]

    assert seen["shape"] == (1, 48, 64, 3) and seen["maxfun"] == 5
    assert np.allclose(seen["x0"], prepared(photo).ravel(), atol=1e-4)
    book_weights = (0.025, 1.0, 1e-4) if base == "vgg19" else (0.025, 3e6, 1e-4)
    assert tuple(seen["loss_weights"]) == book_weights
    content, style = m["layers"]["content"], m["layers"]["style"]
    of_photo = seen["extractor"](prepared(photo).astype("float32"))
    of_painting = seen["extractor"](prepared(painting).astype("float32"))

    def close(got, expected):  # random weights: deep activations can be ~1e-6, so relative
        expected = np.asarray(expected)
        return np.allclose(got, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())

    assert close(seen["targets"][content], of_photo[content][0])
    for layer in style:
        assert close(seen["targets"][layer], of_painting[layer][0])
        assert not close(seen["targets"][layer], of_photo[layer][0])


def test_neural_style_transfer_bad_flags(style_data, tmp_path, out_dir):
    base = smoke_args(style_data, out_dir, "--base", "mobilenet", "--weights", "none")
    for weights in ("1,2", "1,nan,1", "1,-2,1", "1,inf,1", "a,b,c"):
        with pytest.raises(UserError, match="loss-weights"):
            neural_style_transfer.main([*base, "--loss-weights", weights])
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


def test_neural_style_transfer_weights_of_another_network(style_data, tmp_path, out_dir):
    other = tmp_path / "other_network.h5"  # a Keras weights file with none of MobileNet's layers
    with h5py.File(other, "w") as f:
        f.attrs["layer_names"] = [b"dense"]
        f.create_group("dense").attrs["weight_names"] = []
    args = smoke_args(style_data, out_dir, "--base", "mobilenet", "--weights", str(other))
    with pytest.raises(BadData, match="not loadable as the MobileNet") as exc:
        neural_style_transfer.main(args)
    assert exc.value.fields["file"] == "other_network.h5"
    assert len(str(exc.value).splitlines()) == 1


def np_gram(features):
    """(h, w, c) -> (c, c): the channels as rows of positions, times their transpose."""
    rows = features.reshape(-1, features.shape[-1]).T
    return rows @ rows.T


def np_total_variation(x):
    h, w = x.shape[1], x.shape[2]
    a = (x[:, : h - 1, : w - 1, :] - x[:, 1:, : w - 1, :]) ** 2
    b = (x[:, : h - 1, : w - 1, :] - x[:, : h - 1, 1:, :]) ** 2
    return np.sum((a + b) ** 1.25)


def test_gram_matrix_axis_and_style_loss_against_numpy():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 5, 4))  # h, w, c all different: a wrong axis shows
    assert np.allclose(neural_style_transfer.gram_matrix(tf.constant(x)), np_gram(x), rtol=1e-6)
    assert neural_style_transfer.gram_matrix(tf.constant(x)).shape == (4, 4)
    # style loss of one layer's activations, for a generated image of 7 x 6 pixels: the book's
    # normalization 4 * 3**2 * (7 * 6)**2 (3 and the image's size, not the layer's channels/size)
    s, c = rng.normal(size=(2, 3, 5, 4))
    expected = np.sum((np_gram(s) - np_gram(c)) ** 2) / (4 * 9 * 42**2)
    got = float(neural_style_transfer.style_loss(tf.constant(s), tf.constant(c), 7, 6))
    assert np.isclose(got, expected, rtol=1e-5)
    # total variation of a non-square image with distinct channels
    img = rng.normal(size=(1, 5, 7, 3))
    got = float(neural_style_transfer.total_variation_loss(tf.constant(img)))
    assert np.isclose(got, np_total_variation(img), rtol=1e-5)


def test_three_weighted_losses_against_numpy():
    """The total loss the optimizer sees: content weight x the content layer's sum of squared
    differences + style weight / (number of style layers) x each layer's style loss + total
    variation weight x the total variation, each term computed here with NumPy from a small
    network whose layers NumPy can follow (a 2x2 average pooling, the identity, a 1x1 conv)."""
    inp = keras.Input((None, None, 3))
    conv = layers.Conv2D(4, 1, name="conv")
    extractor = keras.Model(
        inp,
        {
            "pool": layers.AveragePooling2D(2, name="pool")(inp),
            "same": layers.Identity(name="same")(inp),
            "conv": conv(inp),
        },
    )
    rng = np.random.default_rng(5)
    kernel, bias = rng.normal(size=(1, 1, 3, 4)), rng.normal(size=4)
    conv.set_weights([kernel.astype("float32"), bias.astype("float32")])
    photo, painting, image = rng.normal(size=(3, 1, 6, 8, 3))

    def features(x):
        return {
            "pool": x[0].reshape(3, 2, 4, 2, 3).mean(axis=(1, 3)),
            "same": x[0],
            "conv": x[0] @ kernel[0, 0] + bias,
        }

    style_layers = ["same", "conv"]
    targets = {"pool": features(photo)["pool"], **{k: features(painting)[k] for k in style_layers}}
    mine = features(image)
    content = np.sum((mine["pool"] - targets["pool"]) ** 2)
    style = sum(
        np.sum((np_gram(targets[k]) - np_gram(mine[k])) ** 2) / (4 * 9 * (6 * 8) ** 2)
        for k in style_layers
    )
    tv = np_total_variation(image)
    # weights that make the weighted terms 1, 2 and 3: a weight on the wrong term, a dropped
    # term or a wrong normalization each changes the total
    weights = (1 / content, 2 * len(style_layers) / style, 3 / tv)
    loss_and_grads = neural_style_transfer.make_loss_and_grads(
        extractor,
        "pool",
        style_layers,
        {k: tf.constant(v, "float32") for k, v in targets.items()},
        weights,
        (1, 6, 8, 3),
    )
    loss, grads, (c_loss, s_loss, tv_loss) = loss_and_grads(tf.constant(image, "float32"))
    assert np.isclose(float(c_loss), 1.0, rtol=1e-4)
    assert np.isclose(float(s_loss), 2.0, rtol=1e-4)
    assert np.isclose(float(tv_loss), 3.0, rtol=1e-4)
    assert np.isclose(float(loss), 6.0, rtol=1e-4)
    # and the gradient is the total's: a central difference along a random direction
    direction = rng.normal(size=image.shape)
    h = 1e-3
    up = loss_and_grads(tf.constant(image + h * direction, "float32"))[0]
    down = loss_and_grads(tf.constant(image - h * direction, "float32"))[0]
    slope = (float(up) - float(down)) / (2 * h)
    assert np.isclose(np.sum(np.asarray(grads) * direction), slope, rtol=2e-2)


def test_preprocessing_is_each_networks_own():
    rgb = np.random.default_rng(6).uniform(0, 255, (4, 5, 3)).round()
    vgg = neural_style_transfer.preprocess_image(rgb, "vgg19")
    assert vgg.shape == (1, 4, 5, 3)
    assert np.allclose(vgg[0], rgb[..., ::-1] - [103.939, 116.779, 123.68], atol=1e-4)
    mobile = neural_style_transfer.preprocess_image(rgb, "mobilenet")
    assert np.allclose(mobile[0], rgb / 127.5 - 1, atol=1e-6)
    for base, x in (("vgg19", vgg), ("mobilenet", mobile)):
        back = neural_style_transfer.deprocess_image(x, base).astype(int)
        assert np.abs(back - rgb).max() <= 1  # the inverse, RGB again, up to uint8's truncation


@pytest.mark.parametrize("flag", ["--content", "--style"])
def test_a_photo_too_small_is_one_line_before_any_work(flag, style_data, tmp_path, out_dir,
                                                        capsys):  # fmt: skip
    from dlwp import flags

    tiny = fakedata.jpeg(tmp_path / "tiny.jpg", (90, 90, 90), (31, 60))
    base = smoke_args(style_data, out_dir, "--base", "mobilenet", "--weights", "none")
    with pytest.raises(SystemExit) as exc:
        flags.run(neural_style_transfer.main, [*base, flag, str(tiny)])
    assert exc.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "tiny.jpg" in lines[0] and "31x60 pixels, too small" in lines[0]
    assert not out_dir.exists()
