"""Chapter 5.2.3-5.2.4, the small convnet from scratch: the book's model, trained on the
training folder's photos (each with its own label, cats 0 and dogs 1, reshuffled every epoch)
and validated on the validation folder's, neither augmented, pixels scaled by 1/255 before the
first convolution, batches of BATCH_SIZE, RMSprop(1e-4); and the in-memory image pipeline."""

import math

import keras
import numpy as np
import pytest
from fakedata.dogs_vs_cats import label_of, smoke_split_names
from support import (
    compile_calls,
    compiled,
    dataset_pass,
    layer_settings,
    no_machine_paths,
    own_calls,
    photo_names_of,
    read_photos,
    run_once,
    smoke_args,
)

from chapter05 import dogs_vs_cats_from_scratch
from dlwp import image_pipelines
from dlwp.data import dogs_vs_cats
from dlwp.data.core import TEST_MARKER, DataFolders

SIZE = 48  # the smoke profile's image size
BATCH = 5  # BATCH_SIZE during the smoke run: 12 training photos make batches of 5, 5, 2


def _conv(filters):
    return ("Conv2D", filters, (3, 3), "relu")


POOL = ("MaxPooling2D", (2, 2))
FROM_SCRATCH = [
    ("Rescaling", 1 / 255, 0.0),  # the book's ImageDataGenerator(rescale=1./255)
    _conv(32),
    POOL,
    _conv(64),
    POOL,
    _conv(128),
    POOL,
    _conv(128),
    POOL,
    ("Flatten",),
    ("Dense", 512, "relu"),
    ("Dense", 1, "sigmoid"),
]
BINARY = ("RMSprop", 1e-4, "binary_crossentropy")


@pytest.fixture(scope="module")
def smoke(ch5_data, tmp_path_factory):
    """One smoke run, what reached Keras recorded; batches of 5 so that batching shows."""
    out, cache = tmp_path_factory.mktemp("results"), tmp_path_factory.mktemp("cache")
    (cache / TEST_MARKER).write_text("test cache\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dogs_vs_cats_from_scratch, "BATCH_SIZE", BATCH)
        run = run_once(dogs_vs_cats_from_scratch.main, smoke_args(ch5_data, out), cache)
    run.out = out
    return run


def test_dogs_vs_cats_from_scratch_book_numbers_are_the_notebooks():
    assert dogs_vs_cats_from_scratch.BOOK == {  # 5.2, cell 26: 30 epochs
        "best_val_accuracy": 0.731,  # val_acc 0.7310 at epoch 28
        "best_val_epoch": 28,
        "final_val_accuracy": 0.724,  # epoch 30: val_acc 0.7240
        "final_train_accuracy": 0.9895,  # epoch 30: acc 0.9895
    }


def test_dogs_vs_cats_from_scratch_full_profile_is_the_books():
    args = dogs_vs_cats_from_scratch.parse_args(["--profile", "full"])
    assert (args.epochs, args.image_size, args.split) == (30, 150, dogs_vs_cats.SPLIT)
    assert dogs_vs_cats_from_scratch.BATCH_SIZE == 20  # cell 22
    args = dogs_vs_cats_from_scratch.parse_args(["--profile", "quick"])
    assert (args.epochs, args.image_size, args.split) == (15, 96, dogs_vs_cats.SPLIT)
    args = dogs_vs_cats_from_scratch.parse_args(["--profile", "smoke"])
    assert (args.epochs, args.image_size, args.split) == (1, SIZE, dogs_vs_cats.SMOKE_SPLIT)
    model = dogs_vs_cats_from_scratch.build_model(150)
    assert model.input_shape == (None, 150, 150, 3)
    assert layer_settings(model) == FROM_SCRATCH
    assert compiled(model) == BINARY
    assert model.count_params() == 3453121  # 5.2, cell 18: Total params: 3,453,121


def test_dogs_vs_cats_from_scratch_compile_call_is_the_books():
    [keywords] = compile_calls("chapter05/dogs_vs_cats_from_scratch.py")
    assert keywords == {
        "optimizer": "keras.optimizers.RMSprop(learning_rate=0.0001, "
        "epsilon=KERAS2_RMSPROP_EPSILON)",
        "loss": "'binary_crossentropy'",
        "metrics": "['accuracy']",
    }


def test_from_scratch_smoke(smoke, ch5_data):
    m = smoke.metrics
    assert set(m["history"]) >= {"loss", "val_accuracy"} and m["best_val_epoch"] == 1
    assert m["final_train_accuracy"] == m["history"]["accuracy"][-1]
    assert m["pipeline"]["cached_images_per_s"] > 0
    assert (smoke.out / "chapter05" / "dogs_vs_cats_from_scratch.smoke_curves.png").exists()
    assert m["model_file"] == "chapter05/models/dogs_vs_cats_from_scratch.smoke.keras"
    model = keras.models.load_model(smoke.out / m["model_file"])  # what main trained
    assert model.input_shape == (None, SIZE, SIZE, 3)
    assert layer_settings(model) == FROM_SCRATCH and compiled(model) == BINARY
    no_machine_paths(smoke.result, ch5_data, smoke.out)


def test_from_scratch_trains_on_the_training_photos_with_their_labels(smoke, photos):
    [fit] = own_calls(smoke.calls.of("fit"))
    x, y, sizes = dataset_pass(fit.x)
    assert x.dtype == np.uint8 and sizes == [5, 5, 2]  # the whole folder, batches of BATCH_SIZE
    names = photo_names_of(x, photos)  # each image is a photo, unaugmented, at the smoke size
    assert sorted(names) == smoke_split_names("train")
    assert y.shape == (12, 1) and y[:, 0].tolist() == [label_of(n) for n in names]
    # reshuffled every epoch (flow_from_directory's shuffle=True): the folder's order is gone
    again = photo_names_of(dataset_pass(fit.x)[0], photos)
    assert names != sorted(names) or again != sorted(again)
    # the profile's settings: one epoch of one pass, RMSprop(1e-4)
    assert fit.epochs == 1 and fit.args.get("steps_per_epoch") is None
    assert fit.learning_rate == pytest.approx(1e-4)


def test_from_scratch_validates_on_the_validation_photos_unaugmented(smoke, photos):
    [fit] = own_calls(smoke.calls.of("fit"))
    x, y, sizes = dataset_pass(fit.validation_data)
    assert sizes == [5, 1]
    names = photo_names_of(x, photos, tol=0)  # the photos as they are
    assert sorted(names) == smoke_split_names("validation")
    assert y[:, 0].tolist() == [label_of(n) for n in names]
    x2, y2, _ = dataset_pass(fit.validation_data)  # drawn again: the same pixels
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert not own_calls(smoke.calls.of("evaluate"))  # the book keeps its test photos aside


def test_from_scratch_first_convolution_sees_pixels_over_255(smoke, photos):
    """What reaches the first Conv2D is the photo scaled to [0, 1] (the model's Rescaling, the
    book's rescale=1./255), once."""
    [fit] = own_calls(smoke.calls.of("fit"))
    x, _, _ = dataset_pass(fit.validation_data)
    names = photo_names_of(x, photos)
    first_conv = next(
        i for i, layer in enumerate(fit.model.layers) if isinstance(layer, keras.layers.Conv2D)
    )
    h = x.astype("float32")
    for layer in fit.model.layers[:first_conv]:
        h = keras.ops.convert_to_numpy(layer(h))
    expected = np.stack([photos[n] for n in names]) / 255
    np.testing.assert_allclose(h, expected, atol=1e-6)


def _read_folder(directory, size):
    return keras.utils.image_dataset_from_directory(
        directory,
        label_mode="binary",
        image_size=(size, size),
        batch_size=None,
        shuffle=False,
        verbose=False,
    )


def test_in_memory_pipeline_shapes_labels_and_cache(ch5_data, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / TEST_MARKER).write_text("test cache\n")
    data = DataFolders.resolve(
        ch5_data, environ={"DLWP_CACHE_DIR": str(cache), "DLWP_OFFLINE": "1"}
    )
    base, _ = dogs_vs_cats.prepare_split(data, dogs_vs_cats.SMOKE_SPLIT)
    test_ds = image_pipelines.in_memory(_read_folder(base / "test", 24), batch_size=4)
    x, y = next(iter(test_ds))
    assert x.shape == (4, 24, 24, 3) and x.dtype == "uint8" and y.shape == (4, 1)
    x, y, sizes = dataset_pass(test_ds)
    assert sizes == [4, 2] and y[:, 0].tolist() == [0, 0, 0, 1, 1, 1]  # cats 0, dogs 1
    # the pixels are the photos' (rounded to uint8), in the folder's order, with their labels
    folder = sorted((base / "test" / "cats").iterdir()) + sorted((base / "test" / "dogs").iterdir())
    photos = read_photos(folder, 24)
    assert photo_names_of(x, photos, tol=0) == list(photos)
    train_ds = image_pipelines.in_memory(_read_folder(base / "train", 24), 4, shuffle_seed=1)
    epoch1 = dataset_pass(train_ds)[1].ravel().tolist()
    epoch2 = dataset_pass(train_ds)[1].ravel().tolist()
    assert sorted(epoch1) == [0] * 6 + [1] * 6
    assert epoch1 != [0] * 6 + [1] * 6 or epoch2 != [0] * 6 + [1] * 6
    speed = image_pipelines.throughput(train_ds)
    assert speed["first_pass_images_per_s"] > 0 and speed["cached_images_per_s"] > 0
    batched = keras.utils.image_dataset_from_directory(
        base / "test", label_mode="binary", image_size=(24, 24), batch_size=4, verbose=False
    )
    with pytest.raises(ValueError, match="batch_size=None"):
        image_pipelines.in_memory(batched, 4)
    assert math.isfinite(float(x.mean()))
