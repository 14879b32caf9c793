"""Chapter 8, DeepDream (notebook 8.2): octave shapes, the detail re-injection and the ascent
step against NumPy; the photo reaching the network prepared for it; the book's settings."""

import json
import math

import fakedata
import keras
import numpy as np
import pytest
import tensorflow as tf
from ch08_helpers import bilinear_resize, portable
from keras import layers
from PIL import Image
from support import smoke_args

from chapter08 import deep_dream
from dlwp import flags
from dlwp.errors import BadData, MissingData, UserError


@pytest.fixture(scope="module")
def photo_data(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("elephant"))
    fakedata.write_elephant(root, size=(120, 90))
    return root


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
def test_deep_dream_smoke(photo_data, out_dir, base, monkeypatch):
    seen = {}
    original = deep_dream.deep_dream

    def recorded(ascent_step, image, iterations, step, max_loss, shapes):
        seen.update(image=np.array(image), settings=(iterations, step, max_loss), shapes=shapes)
        return original(ascent_step, image, iterations, step, max_loss, shapes)

    monkeypatch.setattr(deep_dream, "deep_dream", recorded)
    args = smoke_args(photo_data, out_dir, "--base", base, "--weights", "none")
    result = deep_dream.main(args)
    # the photo, read here, scaled to the [-1, 1] both networks were trained with, as one batch
    path = photo_data / "datasets" / "images" / "creative_commons_elephant.jpg"
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype="float32")
    assert seen["image"].shape == (1, 90, 120, 3)
    assert np.allclose(seen["image"][0], pixels / 127.5 - 1, atol=1e-6)
    # smoke's 2 steps per octave; the book's step 0.01 and max_loss (10; 35 for the stand-in)
    assert seen["settings"] == (2, 0.01, 10.0 if base == "inception_v3" else 35.0)
    assert seen["shapes"] == [(45, 61), (64, 85), (90, 120)]
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
    assert portable(result, photo_data, out_dir)


def test_deep_dream_without_weights_fails_clearly(empty_data, out_dir):
    with pytest.raises(MissingData) as exc:
        deep_dream.main(smoke_args(empty_data, out_dir))
    assert exc.value.files == ["models/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"]
    with pytest.raises(UserError, match="no such file"):
        deep_dream.main(smoke_args(empty_data, out_dir, "--weights", "/nonexistent.h5"))


def test_deep_dream_image_and_weights_errors(photo_data, tmp_path, out_dir, capsys, monkeypatch):
    args = smoke_args(photo_data, out_dir, "--base", "mobilenet")
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


@pytest.mark.parametrize(
    ("shape", "num_octave", "scale"), [((351, 525), 3, 1.4), ((90, 47), 4, 1.3), ((23, 31), 2, 2.0)]
)
def test_octave_shapes_are_the_original_divided_by_powers_of_the_scale(shape, num_octave, scale):
    expected = [tuple(int(d / scale**i) for d in shape) for i in range(num_octave - 1, -1, -1)]
    assert deep_dream.octave_shapes(shape, num_octave, scale) == expected


def _ascent_stand_in(image, step):
    """In place of a gradient step: a fixed, asymmetric change of the image (rows mirrored into
    it, a channel-dependent shift), so the loop's resizes and additions can be followed."""
    image = np.asarray(image, dtype="float64")
    new = 0.8 * image + 0.2 * image[:, ::-1] + np.array([0.03, -0.02, 0.01]) * float(step) * 100
    return tf.constant(1.0), tf.constant(new, dtype="float32")


def test_deep_dream_reinjects_the_lost_detail():
    """The book's octave loop, computed here with NumPy: at each shape, the dream is resized,
    changed by the ascent steps, then given back the detail lost by shrinking: the original
    resized to this shape minus the shrunk original upscaled to it; the shrunk original is then
    the original at this shape."""
    image = np.random.default_rng(0).uniform(-1, 1, (1, 23, 31, 3)).astype("float32")
    shapes = [(11, 15), (16, 22), (23, 31)]
    got, losses = deep_dream.deep_dream(_ascent_stand_in, image, 2, 0.01, None, shapes)
    assert losses == [[1.0, 1.0]] * 3

    original = image.astype("float64")
    shrunk = bilinear_resize(original, shapes[0])
    img = original
    for shape in shapes:
        img = bilinear_resize(img, shape)
        for _ in range(2):
            img = np.asarray(_ascent_stand_in(img, 0.01)[1], dtype="float64")
        img = img + bilinear_resize(original, shape) - bilinear_resize(shrunk, shape)
        shrunk = bilinear_resize(original, shape)
    assert got.shape == (1, 23, 31, 3)
    assert np.allclose(got, img, atol=1e-4)


def test_deep_dream_without_ascent_gives_the_original_back():
    """With steps that change nothing, the re-injected detail restores the original exactly:
    what the shrinking lost, and only that, comes back."""
    image = np.random.default_rng(1).uniform(-1, 1, (1, 20, 27, 3)).astype("float32")
    shapes = deep_dream.octave_shapes((20, 27))
    got, _ = deep_dream.deep_dream(
        lambda x, step: (tf.constant(0.0), x), image, 3, 0.01, None, shapes
    )
    assert np.allclose(got, image, atol=1e-5)
    blurred = bilinear_resize(bilinear_resize(image, shapes[0]), shapes[-1])
    assert not np.allclose(blurred, image, atol=0.1)  # without the detail it would not be


def test_ascent_step_against_numpy():
    """One step: loss = sum over layers of weight * sum(activation**2 inside a 2-pixel border) /
    activation size; the image moves up the gradient, divided by its mean absolute value."""
    inp = keras.Input((None, None, 2))
    a = layers.Identity(name="a")(inp)
    b = layers.Rescaling(2.0, name="b")(inp)
    extractor = keras.Model(inp, {"a": a, "b": b})
    weights = {"a": 0.2, "b": 3.0}
    x = np.random.default_rng(2).normal(size=(1, 7, 9, 2))
    step = deep_dream.make_ascent_step(extractor, weights)
    loss, moved = step(tf.constant(x, dtype="float32"), tf.constant(0.01))

    size = x.size
    inside = np.zeros_like(x)
    inside[:, 2:-2, 2:-2, :] = 1
    expected_loss = (0.2 * np.sum((x * inside) ** 2) + 3.0 * np.sum((2 * x * inside) ** 2)) / size
    grad = (0.2 * 2 * x + 3.0 * 8 * x) * inside / size
    expected = x + 0.01 * grad / np.mean(np.abs(grad))
    assert np.isclose(float(loss), expected_loss, rtol=1e-5)
    assert np.allclose(np.asarray(moved), expected, atol=1e-5)


def test_gradient_ascent_stops_before_a_loss_above_max_loss():
    """The book's loop: a step whose loss exceeds max_loss is not taken, and the octave ends."""
    calls = []

    def rising(image, step):
        calls.append(1)
        return tf.constant(float(len(calls))), image + float(step)

    image = tf.zeros((1, 4, 5, 3))
    out, losses = deep_dream.gradient_ascent(rising, image, 10, 0.5, max_loss=2.5)
    assert losses == [1.0, 2.0] and len(calls) == 3
    assert np.allclose(np.asarray(out), 1.0)  # two steps of 0.5 taken, the third refused
    out, losses = deep_dream.gradient_ascent(rising, image, 4, 0.5, max_loss=None)
    assert len(losses) == 4 and np.allclose(np.asarray(out), 2.0)


def test_preprocess_is_the_networks_own():
    """InceptionV3's and MobileNet's preprocess_input ("tf" mode): x / 127.5 - 1."""
    image = np.random.default_rng(3).uniform(0, 255, (5, 6, 3)).astype("float32")
    assert np.allclose(deep_dream.preprocess(image), image / 127.5 - 1, atol=1e-6)
    ref = keras.applications.inception_v3.preprocess_input(image.copy())
    assert np.allclose(deep_dream.preprocess(image), ref, atol=1e-6)
    back = deep_dream.deprocess(deep_dream.preprocess(image.round())).astype(int)
    assert np.abs(back - image.round()).max() <= 1  # the inverse, up to uint8's truncation


@pytest.mark.parametrize("photo", ["tiny", "bomb"])
def test_deep_dream_refuses_a_photo_it_cannot_dream_on(photo, photo_data, tmp_path, out_dir,
                                                        capsys):  # fmt: skip
    from fakedata.images import decompression_bomb

    path = tmp_path / "photo.jpg"
    if photo == "tiny":
        fakedata.jpeg(path, (120, 110, 100), (40, 20))
    else:
        decompression_bomb(path, 20000, 20000)
    args = smoke_args(photo_data, out_dir, "--base", "mobilenet", "--weights", "none")
    with pytest.raises(SystemExit) as exc:
        flags.run(deep_dream.main, [*args, "--image", str(path)])
    assert exc.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    why = "40x20 pixels, too small" if photo == "tiny" else "too large to decode safely"
    assert len(lines) == 1 and "photo.jpg" in lines[0] and why in lines[0], lines
    assert not out_dir.exists()
