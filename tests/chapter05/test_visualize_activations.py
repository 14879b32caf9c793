"""Chapter 5.4.1, intermediate activations: the picture reaches the saved convnet as its pixels
at the model's input size (the model rescales them itself), the first eight Conv2D/MaxPooling2D
outputs come back, and each channel is drawn the book's way (standardized, x64 + 128, clipped);
a missing, undecodable, tiny or decompression-bomb --image is one line."""

import fakedata
import keras
import numpy as np
import pytest
from fakedata.images import decompression_bomb
from PIL import Image
from support import ink, no_machine_paths, one_error_line, run_once, smoke_args

from chapter05 import dogs_vs_cats_augmentation, grad_cam, visualize_activations
from dlwp.errors import BadData, UserError
from dlwp.images import MIN_SIDE, load_image_array

IMAGE = "datasets/dogs-vs-cats/train/cat.11.jpg"


@pytest.fixture(scope="module")
def smoke(ch5_data, tiny_convnet, tmp_path_factory, test_cache):
    out = tmp_path_factory.mktemp("results")
    argv = smoke_args(ch5_data, out, "--model", str(tiny_convnet), "--image", IMAGE)
    run = run_once(visualize_activations.main, argv, test_cache)
    run.out = out
    return run


def test_visualize_activations_book_numbers_are_the_notebooks():
    assert visualize_activations.BOOK == {
        "layers_shown": 8,  # 5.4, cell 9: model.layers[:8]
        "first_layer_activation_shape": [1, 148, 148, 32],  # 5.4, cell 13
    }
    assert (visualize_activations.MAX_LAYERS, visualize_activations.IMAGES_PER_ROW) == (8, 16)
    assert visualize_activations.DEFAULT_IMAGE == "datasets/dogs-vs-cats/train/cat.1700.jpg"


def test_visualize_activations_full_model_is_the_books():
    """What the full profile loads: the augmentation script's full model, 5.4 cell 3's."""
    model = dogs_vs_cats_augmentation.build_model(150, 1e-4)
    assert model.count_params() == 3453121  # 5.4, cell 3: Total params: 3,453,121
    act_model, names = visualize_activations.activation_model(model)
    assert len(names) == 8 and act_model.outputs[0].shape == (None, 148, 148, 32)
    kinds = [type(model.get_layer(n)).__name__ for n in names]
    assert kinds == ["Conv2D", "MaxPooling2D"] * 4


def _book_grid(activation, images_per_row):
    """The book's display loop (5.4, cell 19), written out."""
    _, height, width, n = activation.shape
    rows = -(-n // images_per_row)
    grid = np.zeros((rows * height, images_per_row * width), "uint8")
    for k in range(n):
        channel = activation[0, :, :, k].astype("float64")
        channel = (channel - channel.mean()) / (channel.std() + 1e-5) * 64 + 128
        row, col = divmod(k, images_per_row)
        grid[row * height : (row + 1) * height, col * width : (col + 1) * width] = np.clip(
            channel, 0, 255
        ).astype("uint8")
    return grid


def test_channel_grid_is_the_books_display_loop():
    """Channels of different spreads and offsets, a 3x5 map (not square), 18 channels over
    rows of 4 (not a multiple): each channel standardized on its own, row by row."""
    rng = np.random.default_rng(0)
    act = rng.normal(size=(1, 3, 5, 18)) * np.linspace(0.1, 30, 18) + np.arange(18) * 7
    act[0, :, :, 5] = 3.0  # a constant channel: mid gray
    grid = visualize_activations.channel_grid(act.astype("float32"), images_per_row=4)
    expected = _book_grid(act.astype("float32"), 4)
    assert grid.shape == expected.shape == (5 * 3, 4 * 5) and grid.dtype == np.uint8
    assert np.abs(grid.astype(int) - expected).max() <= 1  # float32 against float64, rounding
    assert (grid[3:6, 5:10] == 128).all()  # channel 5: row 1, column 1
    assert grid[12:15, 10:].sum() == 0  # unused cells stay black


def test_channel_grid_layout_and_range():
    act = np.random.default_rng(0).normal(size=(1, 5, 4, 20)).astype("float32")
    act[0, :, :, 3] = 7.0  # a constant channel
    grid = visualize_activations.channel_grid(act, images_per_row=16)
    assert grid.shape == (2 * 5, 16 * 4) and grid.dtype == np.uint8
    assert (grid[0:5, 12:16] == 128).all()  # constant -> mid gray
    assert grid[5:10, 16:].sum() == 0  # unused cells stay black
    assert grid.max() > 200 and grid.min() < 50


def test_visualize_activations_smoke(smoke, ch5_data, tiny_convnet):
    m = smoke.metrics
    assert m["layers_shown"] == 8
    assert m["first_layer_activation_shape"] == [1, 46, 46, 32]
    assert m["image"] == IMAGE
    assert m["model"] == "tiny_convnet.keras"  # outside the output folder: its name
    assert ink(smoke.out / "chapter05" / "visualize_activations.smoke.png") > 0.3  # the grids
    no_machine_paths(smoke.result, ch5_data, smoke.out, tiny_convnet.parent)


def test_visualize_activations_shows_the_picture_to_the_first_eight_layers(
    smoke, ch5_data, tiny_convnet
):
    [predict] = smoke.calls.of("predict")
    # the picture at the model's input size, bilinear, as pixels in [0, 255]: the model's
    # Rescaling does the book's /255
    with Image.open(ch5_data / IMAGE) as img:
        expected = np.asarray(img.convert("RGB").resize((48, 48), Image.BILINEAR), "float32")
    np.testing.assert_allclose(predict.x, expected[None], atol=1e-4)
    model = keras.models.load_model(tiny_convnet)
    layers = [
        layer
        for layer in model.layers
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D))
    ][:8]
    assert [tuple(t.shape) for t in predict.model.outputs] == [
        tuple(layer.output.shape) for layer in layers
    ]
    # the activations drawn are the model's own on that picture: the first layer's
    first = keras.Model(model.inputs, layers[0].output)
    act = keras.ops.convert_to_numpy(first(expected[None]))
    grid = visualize_activations.channel_grid(act)
    assert smoke.metrics["blank_channel_fraction"][layers[0].name] == pytest.approx(
        float(np.mean(act[0].reshape(-1, 32).max(axis=0) <= 0)), abs=1e-4
    )
    assert grid.shape == (2 * 46, 16 * 46)


def test_visualize_activations_default_model_and_errors(ch5_data, tmp_path, tiny_convnet):
    out_dir = tmp_path / "results"
    with pytest.raises(UserError, match="no trained model at") as exc:
        visualize_activations.main(smoke_args(ch5_data, out_dir))
    assert "run chapter05/dogs_vs_cats_augmentation.py --profile smoke first" in exc.value.fix
    # each profile reads the model of the same profile: full, the book's (150x150, 100 epochs)
    assert visualize_activations.default_model("full") == (
        "chapter05/models/dogs_vs_cats_augmentation.full.keras"
    )
    assert visualize_activations.default_model("quick") == (
        "chapter05/models/dogs_vs_cats_augmentation.keras"
    )
    default = out_dir / visualize_activations.default_model("smoke")
    assert default.name == "dogs_vs_cats_augmentation.smoke.keras"
    default.parent.mkdir(parents=True)
    default.write_bytes(b"not a model")
    with pytest.raises(BadData, match="not a loadable Keras model"):
        visualize_activations.main(smoke_args(ch5_data, out_dir))
    default.write_bytes(tiny_convnet.read_bytes())
    args = smoke_args(ch5_data, out_dir, "--image", "datasets/dogs-vs-cats/train/dog.0.jpg")
    m = visualize_activations.main(args)["metrics"]
    assert m["model"] == "chapter05/models/dogs_vs_cats_augmentation.smoke.keras"
    with pytest.raises(UserError, match="--image no/such.jpg: no such file"):
        visualize_activations.main(smoke_args(ch5_data, out_dir, "--image", "no/such.jpg"))


@pytest.fixture
def results_dir(tmp_path):
    """A results folder holding an earlier result of the image scripts."""
    out = tmp_path / "results"
    (out / "chapter05" / "models").mkdir(parents=True)
    for name in ("visualize_activations", "grad_cam"):
        (out / "chapter05" / f"{name}.json").write_text('{"profile": "quick"}\n')
    (out / "chapter05" / "models" / "dogs_vs_cats_augmentation.keras").write_bytes(b"earlier")
    return out


def _truncated(path):
    fakedata.jpeg(path, (120, 110, 100), (64, 48))
    path.write_bytes(path.read_bytes()[:200])


BAD_IMAGES = {  # name: (writer, what the line says after the path)
    "text": (lambda p: p.write_text("a text file, not a photo\n"), "not a decodable image"),
    "truncated": (_truncated, "not a decodable image"),
    "tiny": (lambda p: fakedata.jpeg(p, (90, 90, 90), (40, 20)), "40x20 pixels, too small"),
    "bomb": (lambda p: decompression_bomb(p, 20000, 20000), "too large to decode safely"),
    "bomb-png": (
        lambda p: decompression_bomb(p, 10000, 9000, "PNG"),  # only a warning for PIL
        "too large to decode safely",
    ),
}


@pytest.mark.parametrize("case", BAD_IMAGES)
@pytest.mark.parametrize(
    "script", [visualize_activations, grad_cam], ids=["activations", "grad_cam"]
)
def test_a_bad_image_is_one_line(
    case, script, ch5_data, tiny_convnet, tmp_path, results_dir, capsys, monkeypatch
):
    write, what = BAD_IMAGES[case]
    image = tmp_path / "photo.jpg"
    write(image)
    argv = smoke_args(ch5_data, results_dir, "--model", str(tiny_convnet), "--image", str(image))
    line, fields = one_error_line(script.main, argv, results_dir, capsys, monkeypatch, tmp_path)
    assert line.startswith(f"error: {image}: {what}"), line
    assert (fields["kind"], fields["file"]) == ("bad input", "photo.jpg")
    assert fields["fix"].startswith("give a JPEG or PNG file")
    assert str(tmp_path) not in fields["problem"]


@pytest.mark.parametrize(
    "script", [visualize_activations, grad_cam], ids=["activations", "grad_cam"]
)
def test_a_missing_image_is_one_line(
    script, ch5_data, tiny_convnet, tmp_path, results_dir, capsys, monkeypatch
):
    missing = tmp_path / "no_such.jpg"
    argv = smoke_args(ch5_data, results_dir, "--model", str(tiny_convnet), "--image")
    checked = (results_dir, capsys, monkeypatch, tmp_path)
    line, fields = one_error_line(script.main, [*argv, str(missing)], *checked)
    assert (
        line == f"error: --image {missing}: no such file; give the path of an existing input image"
    )
    assert fields["kind"] == "error"
    line, fields = one_error_line(script.main, [*argv, "datasets/images/no_such.jpg"], *checked)
    assert fields["kind"] == "missing input" and fields["files"] == ["datasets/images/no_such.jpg"]


def test_an_image_of_the_smallest_side_is_read(tmp_path):
    """32 pixels a side (dlwp.images.MIN_SIDE) is enough: resized up to the model's input."""
    assert MIN_SIDE == 32
    image = fakedata.jpeg(tmp_path / "small.jpg", (90, 90, 90), (32, 40))
    assert load_image_array(image, (48, 48), min_side=MIN_SIDE).shape == (48, 48, 3)
    narrow = fakedata.jpeg(tmp_path / "narrow.jpg", (90, 90, 90), (31, 400))
    with pytest.raises(BadData, match="31x400 pixels, too small for the network"):
        load_image_array(narrow, (48, 48), min_side=MIN_SIDE)
    assert load_image_array(narrow).shape == (400, 31, 3)  # no minimum unless asked
