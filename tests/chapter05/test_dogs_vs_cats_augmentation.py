"""Chapter 5.2.5, data augmentation and dropout: the book's augmentation (Keras 2's rotation,
shift, shear, zoom and flip, measured) on the training photos only, every pass new, each photo
keeping its label; the validation photos as they are, the same on every draw; pixels scaled by
1/255 before the first convolution; the profile's (or the flags') epochs, steps per epoch and
learning rate reaching fit."""

import math

import keras
import numpy as np
import pytest
from fakedata.dogs_vs_cats import label_of, photo_names, smoke_split_names
from support import (
    compile_calls,
    compiled,
    dataset_pass,
    ink,
    layer_settings,
    no_machine_paths,
    own_calls,
    photo_names_of,
    run_once,
    smoke_args,
)

from chapter05 import (
    dogs_vs_cats_augmentation,
    vgg16_feature_extraction_augmented,
    vgg16_fine_tuning,
)
from dlwp import image_pipelines
from dlwp.data import dogs_vs_cats
from dlwp.data.core import TEST_MARKER, DataFolders

SIZE = 48  # the smoke profile's image size
BATCH = 5  # BATCH_SIZE during the smoke run: 12 training photos make batches of 5, 5, 2
STEPS, RATE = 4, 3e-4  # flags of the smoke run: neither is a profile's, so their path shows


def _conv(filters):
    return ("Conv2D", filters, (3, 3), "relu")


POOL = ("MaxPooling2D", (2, 2))
AUGMENTED = [
    ("Rescaling", 1 / 255, 0.0),  # the book's ImageDataGenerator(rescale=1./255, ...)
    _conv(32),
    POOL,
    _conv(64),
    POOL,
    _conv(128),
    POOL,
    _conv(128),
    POOL,
    ("Flatten",),
    ("Dropout", 0.5),
    ("Dense", 512, "relu"),
    ("Dense", 1, "sigmoid"),
]
BINARY = ("RMSprop", 1e-4, "binary_crossentropy")


@pytest.fixture(scope="module")
def smoke(ch5_data, tmp_path_factory):
    """One smoke run with --steps-per-epoch and --learning-rate given, what reached Keras
    recorded; batches of 5 so that batching and the endless training stream show."""
    out, cache = tmp_path_factory.mktemp("results"), tmp_path_factory.mktemp("cache")
    (cache / TEST_MARKER).write_text("test cache\n")
    argv = smoke_args(ch5_data, out, "--steps-per-epoch", str(STEPS), "--learning-rate", str(RATE))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dogs_vs_cats_augmentation, "BATCH_SIZE", BATCH)
        run = run_once(dogs_vs_cats_augmentation.main, argv, cache)
    run.out = out
    return run


def test_dogs_vs_cats_augmentation_book_numbers_are_the_notebooks():
    assert dogs_vs_cats_augmentation.BOOK == {  # 5.2, cell 39: 100 epochs
        "best_val_accuracy": 0.846,  # val_acc 0.8460 at epoch 99
        "best_val_epoch": 99,
        "final_val_accuracy": 0.8439,  # epoch 100
    }


def test_dogs_vs_cats_augmentation_profiles():
    args = dogs_vs_cats_augmentation.parse_args(["--profile", "full"])
    settings = (args.epochs, args.image_size, args.steps_per_epoch, args.learning_rate)
    assert settings == (100, 150, 100, 1e-4) and args.split == dogs_vs_cats.SPLIT
    assert dogs_vs_cats_augmentation.BATCH_SIZE == 32  # cell 39: both generators
    args = dogs_vs_cats_augmentation.parse_args(["--profile", "quick"])
    settings = (args.epochs, args.image_size, args.steps_per_epoch, args.learning_rate)
    assert settings == (40, 96, None, 2e-4) and args.split == dogs_vs_cats.SPLIT
    args = dogs_vs_cats_augmentation.parse_args(["--profile", "smoke"])
    settings = (args.epochs, args.image_size, args.steps_per_epoch, args.learning_rate)
    assert settings == (1, SIZE, None, 1e-4) and args.split == dogs_vs_cats.SMOKE_SPLIT


def test_dogs_vs_cats_augmentation_full_model_is_the_books():
    model = dogs_vs_cats_augmentation.build_model(150, 1e-4)
    assert model.input_shape == (None, 150, 150, 3)
    assert layer_settings(model) == AUGMENTED
    assert compiled(model) == BINARY
    # 5.4, cell 3 prints the model 5.2 saved: Total params: 3,453,121; dense_3 3,211,776,
    # dense_4 513
    assert model.count_params() == 3453121
    assert [layer.count_params() for layer in model.layers if layer.weights][-2:] == [3211776, 513]
    assert compiled(dogs_vs_cats_augmentation.build_model(48, 2e-4))[1] == 2e-4


def test_dogs_vs_cats_augmentation_compile_call_is_the_books():
    [keywords] = compile_calls("chapter05/dogs_vs_cats_augmentation.py")
    assert keywords == {
        # the profile's rate: the book's 1e-4 in full
        "optimizer": "keras.optimizers.RMSprop(learning_rate=learning_rate, "
        "epsilon=KERAS2_RMSPROP_EPSILON)",
        "loss": "'binary_crossentropy'",
        "metrics": "['accuracy']",
    }


def test_augmentation_smoke(smoke, ch5_data):
    m = smoke.metrics
    assert math.isfinite(m["history"]["loss"][0]) and len(m["history"]["loss"]) == 1
    for suffix in ("_preview.png", "_curves.png"):
        assert (smoke.out / "chapter05" / f"dogs_vs_cats_augmentation.smoke{suffix}").exists()
    assert ink(smoke.out / "chapter05" / "dogs_vs_cats_augmentation.smoke_preview.png") > 0.3
    model = keras.models.load_model(smoke.out / m["model_file"])  # what main trained
    assert model.input_shape == (None, SIZE, SIZE, 3)
    assert layer_settings(model) == AUGMENTED
    assert compiled(model) == ("RMSprop", RATE, "binary_crossentropy")  # --learning-rate
    no_machine_paths(smoke.result, ch5_data, smoke.out)


def test_augmentation_trains_on_augmented_training_photos_with_their_labels(smoke, photos):
    [fit] = own_calls(smoke.calls.of("fit"))
    # with --steps-per-epoch the stream is endless (the book's generator): two passes and more
    x, y, sizes = dataset_pass(fit.x, batches=7)
    assert sizes == [5, 5, 2, 5, 5, 2, 5]
    names = photo_names(x)  # read off the colours, which augmentation keeps
    assert sorted(names[:12]) == sorted(names[12:24]) == smoke_split_names("train")
    assert y[:, 0].tolist() == [label_of(n) for n in names]  # each photo keeps its label
    # augmented: no image is its photo, and the same batch drawn twice differs
    originals = np.stack([photos[n] for n in names])
    assert (np.abs(x - originals).mean(axis=(1, 2, 3)) > 2).all()
    first, _, _ = dataset_pass(fit.x, batches=1)
    again, _, _ = dataset_pass(fit.x, batches=1)
    assert np.abs(first - again).mean() > 2
    # the settings reaching fit: the profile's epochs, the flags' steps and learning rate
    assert (fit.epochs, fit.steps_per_epoch) == (1, STEPS)
    assert fit.learning_rate == pytest.approx(RATE)


def test_augmentation_validates_on_the_validation_photos_unaugmented(smoke, photos):
    [fit] = own_calls(smoke.calls.of("fit"))
    x, y, sizes = dataset_pass(fit.validation_data)
    assert sizes == [5, 1]  # one pass over each validation photo, not the book's wrap-around
    names = photo_names_of(x, photos, tol=0)  # the photos as they are
    assert sorted(names) == smoke_split_names("validation")
    assert y[:, 0].tolist() == [label_of(n) for n in names]
    x2, _, _ = dataset_pass(fit.validation_data)
    assert np.array_equal(x, x2)  # drawn again: the same pixels
    # what reaches the first Conv2D: the photo scaled by 1/255 (the model's Rescaling), once
    first_conv = next(
        i for i, layer in enumerate(fit.model.layers) if isinstance(layer, keras.layers.Conv2D)
    )
    h = x.astype("float32")
    for layer in fit.model.layers[:first_conv]:
        h = keras.ops.convert_to_numpy(layer(h))
    np.testing.assert_allclose(h, np.stack([photos[n] for n in names]) / 255, atol=1e-6)
    assert not own_calls(smoke.calls.of("evaluate"))


def test_augmentation_preview_shows_a_training_photo(smoke, photos):
    """The preview's original is a training photo, and its copies are that photo augmented."""
    fig = smoke.figures[0]
    shown = [np.asarray(ax.images[0].get_array()) for ax in fig.axes]
    assert photo_names_of(shown[0][None], photos, tol=0)[0] in smoke_split_names("train")
    [name] = photo_names_of(shown[0][None], photos)
    assert photo_names(np.stack(shown[1:])) == [name] * (len(shown) - 1)


def test_augmentation_layers_and_preview():
    augment = dogs_vs_cats_augmentation.data_augmentation()
    kinds = [type(layer).__name__ for layer in augment.layers]
    assert kinds == [
        "RandomRotation",
        "RandomTranslation",
        "RandomShear",
        "RandomZoom",
        "RandomFlip",
    ]
    assert augment.layers[0].factor == (-40 / 360, 40 / 360)  # rotation_range=40 (degrees)
    assert (augment.layers[1].height_factor, augment.layers[1].width_factor) == (0.2, 0.2)
    shear, zoom = augment.layers[2], augment.layers[3]
    assert shear.y_factor == (-0.2, 0.2) and [abs(f) for f in shear.x_factor] == [0, 0]
    assert (zoom.height_lower, zoom.height_upper) == (-0.2, 0.2)
    assert (zoom.width_lower, zoom.width_upper) == (-0.2, 0.2)  # x drawn apart from y
    assert augment.layers[4].mode == "horizontal"
    for layer in augment.layers[:4]:  # Keras 2's fill_mode and its order=0 resampling
        assert (layer.fill_mode, layer.interpolation) == ("nearest", "nearest")
    image = np.tile(np.linspace(0, 255, 32, dtype="float32")[None, :, None], (32, 1, 3))
    image[8:16, 4:12] = [255, 0, 0]
    fig, copies = dogs_vs_cats_augmentation.preview_augmentation(augment, image, copies=3)
    assert copies.shape == (3, 32, 32, 3) and len(fig.axes) == 4
    drawn = [[np.asarray(im.get_array()) for im in ax.images] for ax in fig.axes]
    assert [len(d) for d in drawn] == [1, 1, 1, 1]  # the original, then each copy
    assert np.array_equal(drawn[0][0], image.astype("uint8"))
    for shown, copy in zip(drawn[1:], copies):
        assert np.array_equal(shown[0], np.clip(copy, 0, 255).astype("uint8"))
    assert all(np.abs(c - image).mean() > 1 for c in copies)  # each copy is transformed
    passthrough = keras.ops.convert_to_numpy(augment(image[None], training=False))
    assert np.allclose(passthrough[0], image)  # inactive outside training


def test_the_augmentation_is_the_same_in_every_script():
    def normalized(augment):
        return [
            (type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
            for layer in augment.layers
        ]

    book = normalized(dogs_vs_cats_augmentation.data_augmentation())
    assert normalized(vgg16_feature_extraction_augmented.data_augmentation()) == book
    assert normalized(vgg16_fine_tuning.data_augmentation()) == book


def _blob_centres(images, values):
    """The centre (row, column) of each value's pixels in each image (n, h, w, 1)."""
    centres = np.zeros((len(images), len(values), 2))
    for i, image in enumerate(np.asarray(images)[..., 0]):
        for j, value in enumerate(values):
            rows, cols = np.nonzero(np.isclose(image, value))
            assert len(rows) > 0, f"blob {value} left image {i}"
            centres[i, j] = rows.mean(), cols.mean()
    return centres


def _blobs(points, side=101):
    """An image (1, side, side, 1), zero but for a 3x3 blob of value k + 1 at points[k]."""
    image = np.zeros((1, side, side, 1), "float32")
    for k, (r, c) in enumerate(points):
        image[0, r - 1 : r + 2, c - 1 : c + 2] = k + 1
    return image


def test_the_shear_is_keras2s_vertical_shear_of_slope_up_to_sin_0_2():
    """Keras 2.0.8's shear_range=0.2 is an angle s in [-0.2, 0.2] radians applied as
    [[1, -sin s], [0, cos s]] on (row, column): each column moves vertically by sin(s) times
    its x. RandomShear(y_factor=0.2) does the same with a slope drawn in [-0.2, 0.2]."""
    keras.utils.set_random_seed(3)
    shear = dogs_vs_cats_augmentation.data_augmentation().layers[2]
    images = np.repeat(_blobs([(50, 20), (50, 80)]), 40, axis=0)
    centres = _blob_centres(shear(images, training=True), [1, 2])
    assert np.allclose(centres[:, :, 1], [20, 80])  # the columns stay where they were
    slopes = (centres[:, 1, 0] - centres[:, 0, 0]) / 60  # rows move in proportion to x
    assert np.abs(slopes).max() <= 0.2 + 1 / 60  # up to sin(0.2) = 0.199, to a pixel
    assert slopes.min() < -0.12 and slopes.max() > 0.12  # both ways, the whole range
    assert np.abs(slopes).max() > np.sin(0.2) - 0.03


def test_the_zoom_draws_x_and_y_apart_as_keras2():
    """zoom_range=0.2: Keras 2 draws the x and y zoom independently in [0.8, 1.2]."""
    keras.utils.set_random_seed(4)
    zoom = dogs_vs_cats_augmentation.data_augmentation().layers[3]
    images = np.repeat(_blobs([(50, 50), (20, 20)]), 40, axis=0)
    centres = _blob_centres(zoom(images, training=True), [1, 2])
    assert np.allclose(centres[:, 0], [50, 50])  # the centre stays
    scale_y = (50 - centres[:, 1, 0]) / 30  # an offset of 30 pixels, divided by each zoom
    scale_x = (50 - centres[:, 1, 1]) / 30
    for scale in (scale_y, scale_x):
        assert (scale > 1 / 1.2 - 0.04).all() and (scale < 1 / 0.8 + 0.04).all()
    assert np.abs(scale_y - scale_x).max() > 0.1  # the aspect ratio changes


def test_augmented_batches_are_new_every_pass(ch5_data, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / TEST_MARKER).write_text("test cache\n")
    data = DataFolders.resolve(
        ch5_data, environ={"DLWP_CACHE_DIR": str(cache), "DLWP_OFFLINE": "1"}
    )
    base, _ = dogs_vs_cats.prepare_split(data, dogs_vs_cats.SMOKE_SPLIT)
    folder = keras.utils.image_dataset_from_directory(
        base / "test",
        label_mode="binary",
        image_size=(24, 24),
        batch_size=None,
        shuffle=False,
        verbose=False,
    )
    batches = image_pipelines.in_memory(folder, batch_size=3)
    keras.utils.set_random_seed(0)
    augment = dogs_vs_cats_augmentation.data_augmentation()
    train_ds = image_pipelines.augmented(batches, augment)
    first, second = ([x.numpy() for x, _ in train_ds] for _ in range(2))
    assert [len(x) for x in first] == [3, 3] and first[0].dtype == np.float32
    assert all(np.abs(a - b).mean() > 1 for a, b in zip(first, second))
    originals = np.concatenate([x.numpy() for x, _ in batches]).astype("float32")
    assert all(np.abs(a - originals[i]).mean() > 1 for i, a in enumerate(np.concatenate(first)))
    labels = [y.numpy().ravel().tolist() for _, y in train_ds]
    assert labels == [[0, 0, 0], [1, 1, 1]]  # labels pass through, in order
    assert photo_names(np.concatenate(first)) == smoke_split_names("test")  # with their photos
    endless = image_pipelines.augmented(batches, augment, repeat=True)
    assert [y.numpy().ravel().tolist() for _, y in endless.take(5)] == labels * 2 + labels[:1]
