"""Chapter 5.4.2, filter patterns: gradient ascent on the input, image i raising the mean of its
own filter, the gradient divided by its RMS (+ 1e-5) and added a step at a time, checked against
the same ascent written in NumPy; the book's display (deprocess_image) and grid (filled column by
column); the layers and filters of each profile, and the base's own input scaling."""

import fakedata
import keras
import numpy as np
import pytest
from keras import layers
from support import ink, no_machine_paths, run_once, smoke_args

from chapter05 import visualize_filters
from dlwp.data import imagenet
from dlwp.errors import UserError


@pytest.fixture(scope="module")
def ch5_data(tmp_path_factory):
    return fakedata.new_data_root(tmp_path_factory.mktemp("ch5_data"))


@pytest.fixture(scope="module")
def smoke(ch5_data, tmp_path_factory, test_cache):
    """One smoke run on the MobileNet stand-in, with the base it built and every call of
    generate_patterns (the feature model and the filters it was asked for) recorded."""
    out = tmp_path_factory.mktemp("results")
    bases, ascents = [], []
    build, generate = imagenet.build, visualize_filters.generate_patterns

    def recording_build(*args, **kwargs):
        bases.append(build(*args, **kwargs))
        return bases[-1]

    def recording_generate(model, filter_indices, *args, **kwargs):
        ascents.append((model, list(filter_indices), args, kwargs))
        return generate(model, filter_indices, *args, **kwargs)

    argv = smoke_args(ch5_data, out, "--base", "mobilenet", "--weights", "none")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(imagenet, "build", recording_build)
        mp.setattr(visualize_filters, "generate_patterns", recording_generate)
        run = run_once(visualize_filters.main, argv, test_cache)
    run.out, run.bases, run.ascents = out, bases, ascents
    return run


def test_visualize_filters_book_numbers_are_the_notebooks():
    # 5.4's grid loop (prints nothing): 4 layers, 8 x 8 filters
    assert visualize_filters.BOOK == {
        "layers": ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1"],
        "filters": 64,
    }
    assert visualize_filters.LAYERS["vgg16"] == visualize_filters.BOOK["layers"]


def test_visualize_filters_profiles_and_full_model_are_the_books():
    for profile, settings in (
        ("full", (64, 64, 40)),  # the book's: 64 filters, 64x64 patterns, 40 steps
        ("quick", (64, 64, 40)),
        ("smoke", (4, 32, 3)),
    ):
        args = visualize_filters.parse_args(["--profile", profile])
        assert (args.filters, args.size, args.steps) == settings
        assert (args.base, args.weights) == ("vgg16", "imagenet")
    application, options, _ = visualize_filters.APPLICATIONS["vgg16"]
    base = application(weights=None, include_top=False, input_shape=(64, 64, 3), **options)
    # VGG16(include_top=False): 5.3, cell 6 prints 14,714,688 (the count does not depend on
    # the input size, which 5.4 leaves open)
    assert base.count_params() == 14714688
    assert visualize_filters.generate_patterns.__defaults__[:3] == (150, 40, 1.0)  # size, steps


def _relu_1x1(kernel, bias, size):
    """A model whose filter f is relu(pixel . kernel[:, f] + bias[f]) at every position."""
    conv = layers.Conv2D(kernel.shape[1], 1, activation="relu")
    model = keras.Sequential([keras.Input((size, size, 3)), conv])
    conv.set_weights([kernel[None, None].astype("float32"), bias.astype("float32")])
    return model


def _ascent(x, kernel, bias, filters, steps, step):
    """The book's gradient ascent in NumPy: loss = mean of the filter's activation, its
    gradient with respect to the input, divided by its RMS + 1e-5, added times `step`."""
    x = x.astype("float64")
    for _ in range(steps):
        for i, f in enumerate(filters):
            active = (x[i] @ kernel[:, f] + bias[f]) > 0  # (h, w): where the relu passes
            grads = active[..., None] * kernel[:, f] / active.size  # d mean / d pixel
            grads = grads / (np.sqrt(np.mean(grads**2)) + 1e-5)
            x[i] = x[i] + grads * step
    return x


def test_generate_patterns_is_the_books_gradient_ascent():
    """Filters of very different strengths (the last one's gradient is about the size of the
    1e-5: the epsilon and the mean both show), asked for out of order, on a 6x6 input where the
    relu cuts some pixels off and not others."""
    size, steps, step, seed = 6, 3, 0.7, 5
    kernel = np.array(
        [[1.0, -2.0, 0.5, 3e-4], [-0.5, 1.0, 2.0, -1e-4], [0.25, 0.5, -1.5, 2e-4]]
    )  # (3 colours, 4 filters)
    start = np.random.default_rng(seed).random((3, size, size, 3)) * 20 + 128  # the book's
    bias = -(start.mean(axis=(0, 1, 2)) @ kernel)  # about half of the pixels active
    model = _relu_1x1(kernel, bias, size)
    filters = [2, 0, 3]
    got = visualize_filters.generate_patterns(model, filters, size, steps, step, seed)
    assert got.shape == (3, size, size, 3)
    np.testing.assert_allclose(got, _ascent(start, kernel, bias, filters, steps, step), atol=2e-3)
    # the check can tell: each image moved, and by the amount of its own filter
    assert (np.abs(got - start).max(axis=(1, 2, 3)) > 0.1).all()
    none = visualize_filters.generate_patterns(model, filters, size, 0, step, seed)
    np.testing.assert_allclose(none, start, atol=1e-4)  # the starting images are the book's


def test_generate_patterns_raise_their_filter():
    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3)])
    start = visualize_filters.generate_patterns(model, [0, 1, 2, 3], size=16, steps=0)
    end = visualize_filters.generate_patterns(model, [0, 1, 2, 3], size=16, steps=5)
    before, after = np.asarray(model(start)), np.asarray(model(end))
    for i in range(4):  # image i's own filter went up
        assert after[i, ..., i].mean() > before[i, ..., i].mean() + 1
    image = visualize_filters.deprocess_image(end[0])
    assert image.dtype == np.uint8 and image.shape == (16, 16, 3)
    assert visualize_filters.pattern_grid(np.stack([image] * 10)).shape == (
        2 * 16 + 5,
        8 * 21 - 5,
        3,
    )


def test_deprocess_image_is_the_books():
    """5.4's deprocess_image: centre, divide by std + 1e-5, x0.1 + 0.5, clip to [0, 1], x255."""
    x = np.random.default_rng(1).normal(3.0, 40.0, (4, 5, 3))
    x[0, 0] = [500.0, -500.0, 0.0]  # clipped at both ends
    expected = (x - x.mean()) / (x.std() + 1e-5) * 0.1 + 0.5
    expected = (np.clip(expected, 0, 1) * 255).astype("uint8")
    got = visualize_filters.deprocess_image(x.copy())
    assert got.dtype == np.uint8 and np.array_equal(got, expected)
    assert got[0, 0, 0] == 255 and got[0, 0, 1] == 0


def test_pattern_grid_is_the_books_layout():
    """The book's loop puts filter i + 8 j at row i, column j, 5-pixel black margins."""
    size, margin = 2, 5
    patterns = np.zeros((64, size, size, 3), "uint8")
    patterns[..., 0] = np.arange(64)[:, None, None]  # each pattern's red is its index
    patterns[..., 1] = 200
    grid = visualize_filters.pattern_grid(patterns)
    side = 8 * size + 7 * margin
    expected = np.zeros((side, side, 3), "uint8")
    for i in range(8):
        for j in range(8):
            top, left = i * (size + margin), j * (size + margin)
            expected[top : top + size, left : left + size] = patterns[i + j * 8]
    assert np.array_equal(grid, expected)


def test_visualize_filters_smoke(smoke, ch5_data):
    m = smoke.metrics
    assert m["layers"] == visualize_filters.LAYERS["mobilenet"] and m["filters"] == 4
    assert ink(smoke.out / "chapter05" / "visualize_filters@mobilenet.smoke.png") > 0.3
    module = visualize_filters
    assert smoke.result["variant"] and smoke.result["book"] == dict.fromkeys(module.BOOK)
    assert m["stands_in_for"] == module.STANDS_IN_FOR and set(module.BOOK) <= set(m)
    no_machine_paths(smoke.result, ch5_data, smoke.out)


def test_visualize_filters_ascends_each_layer_on_the_bases_own_scaling(smoke):
    """The profile's filters (the first 4), size and steps for each layer; the pixels the ascent
    moves are [0, 255], and the layer sees them as MobileNet's [-1, 1]."""
    [base] = smoke.bases
    assert [a[1] for a in smoke.ascents] == [[0, 1, 2, 3]] * 4
    assert [a[2][:2] for a in smoke.ascents] == [(32, 3)] * 4  # size, steps
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    for (model, *_), name in zip(smoke.ascents, visualize_filters.LAYERS["mobilenet"]):
        layer_output = keras.Model(base.inputs, base.get_layer(name).output)
        expected = keras.ops.convert_to_numpy(layer_output(x / 127.5 - 1))
        got = keras.ops.convert_to_numpy(model(x))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_visualize_filters_of_a_saved_model(ch5_data, tmp_path, tiny_convnet):
    out_dir = tmp_path / "results"
    result = visualize_filters.main(smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet)))
    m = result["metrics"]
    assert len(m["layers"]) == 4 and all(n.startswith("conv2d") for n in m["layers"])
    assert result["exercise"] == "chapter05/visualize_filters@model"
    assert result["variant"] and result["book"] == dict.fromkeys(visualize_filters.BOOK)
    assert m["stands_in_for"] == visualize_filters.STANDS_IN_FOR
    with pytest.raises(UserError, match="has no layer 'nope'"):
        visualize_filters.main(
            smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet), "--layers", "nope")
        )
