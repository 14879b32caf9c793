"""Chapter 5.3.1, fast feature extraction: the pretrained base runs once over the training,
validation and test photos, each unaugmented and scaled the base's own way (the book's 1/255 for
VGG16, [-1, 1] for the MobileNet stand-in); the classifier trains on the training photos'
features with their own labels, validates on the validation photos', and is judged on the test
photos'; the book's classifier, RMSprop(2e-5), batches of BATCH_SIZE."""

import math

import fakedata
import keras
import numpy as np
import pytest
from fakedata.dogs_vs_cats import label_of, smoke_split_names
from support import (
    compile_calls,
    compiled,
    layer_settings,
    no_machine_paths,
    own_calls,
    photo_names_of,
    run_once,
    smoke_args,
)

from chapter05 import vgg16_feature_extraction
from dlwp.data import dogs_vs_cats, imagenet
from dlwp.data.core import TEST_MARKER, DataFolders
from dlwp.errors import BadData, MissingData, UserError
from dlwp.images import load_image_array

SIZE = 32  # the smoke profile's image size
BATCH = 5  # BATCH_SIZE during the smoke run: batches of 5, 5, 2 (train), 5, 1, 5, 1
FEATURE_CLASSIFIER = [("Dense", 256, "relu"), ("Dropout", 0.5), ("Dense", 1, "sigmoid")]
MOBILENET_SCALING = ("Rescaling", 1 / 127.5, -1.0)


@pytest.fixture(scope="module")
def smoke(ch5_data, tmp_path_factory):
    """One smoke run on the MobileNet stand-in (the base the real runs use where VGG16's weights
    are absent; the VGG16 classifier is pinned below), what reached Keras recorded."""
    out, cache = tmp_path_factory.mktemp("results"), tmp_path_factory.mktemp("cache")
    (cache / TEST_MARKER).write_text("test cache\n")
    argv = smoke_args(ch5_data, out, "--base", "mobilenet", "--weights", "none")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vgg16_feature_extraction, "BATCH_SIZE", BATCH)
        run = run_once(vgg16_feature_extraction.main, argv, cache)
    run.out = out
    return run


def test_vgg16_feature_extraction_book_numbers_are_the_notebooks():
    assert vgg16_feature_extraction.BOOK == {  # 5.3, cell 12: 30 epochs
        "best_val_accuracy": 0.903,  # val_acc 0.9030, first at epoch 20
        "best_val_epoch": 20,
        "final_val_accuracy": 0.903,  # epoch 30
        "test_accuracy": None,  # not evaluated
    }


def test_vgg16_feature_extraction_full_profile_is_the_books():
    module = vgg16_feature_extraction
    for profile, epochs in (("full", 30), ("quick", 30), ("smoke", 1)):
        args = module.parse_args(["--profile", profile])
        assert (args.base, args.weights, args.epochs) == ("vgg16", "imagenet", epochs)
        split = dogs_vs_cats.SMOKE_SPLIT if profile == "smoke" else dogs_vs_cats.SPLIT
        assert args.split == split and args.image_size == (SIZE if profile == "smoke" else None)
    assert module.BATCH_SIZE == 20  # cell 8
    assert module.IMAGE_SIZE == {"vgg16": 150, "mobilenet": 160}
    assert {base: entry[:2] for base, entry in module.APPLICATIONS.items()} == {
        "vgg16": (keras.applications.VGG16, {}),
        "mobilenet": (keras.applications.MobileNet, {"alpha": 0.25}),
    }
    conv_base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    assert conv_base.output_shape == (None, 4, 4, 512)
    assert conv_base.count_params() == 14714688  # 5.3, cell 6
    classifier = module.build_classifier(conv_base.output_shape[1:])
    assert classifier.input_shape == (None, 4 * 4 * 512)
    assert layer_settings(classifier) == FEATURE_CLASSIFIER
    assert compiled(classifier) == ("RMSprop", 2e-5, "binary_crossentropy")
    # 5.3, cell 12: Dense(256) on 4 * 4 * 512 features, Dropout, Dense(1)
    assert classifier.count_params() == 4 * 4 * 512 * 256 + 256 + 256 + 1 == 2097665


def test_vgg16_feature_extraction_compile_call_is_the_books():
    [keywords] = compile_calls("chapter05/vgg16_feature_extraction.py")
    assert keywords == {
        "optimizer": "keras.optimizers.RMSprop(learning_rate=2e-05, "
        "epsilon=KERAS2_RMSPROP_EPSILON)",
        "loss": "'binary_crossentropy'",
        "metrics": "['accuracy']",
    }


def test_imagenet_rescaling_per_base():
    pixels = np.array([[0.0, 127.5, 255.0]], "float32")
    vgg16, mobilenet = imagenet.rescaling("vgg16"), imagenet.rescaling("mobilenet")
    assert np.allclose(np.asarray(vgg16(pixels)), [[0.0, 0.5, 1.0]])  # the book's 1/255
    assert np.allclose(np.asarray(mobilenet(pixels)), [[-1.0, 0.0, 1.0]])  # its training range


def test_feature_extraction_smoke(smoke, ch5_data):
    m = smoke.metrics
    assert m["features_shape"] == {
        "train": [12, 1, 1, 256],
        "validation": [6, 1, 1, 256],
        "test": [6, 1, 1, 256],
    }
    result = smoke.result
    assert result["exercise"] == "chapter05/vgg16_feature_extraction@mobilenet"
    assert result["variant"] == "mobilenet" and math.isfinite(m["test_loss"])
    module = vgg16_feature_extraction
    assert result["variant"] and result["book"] == dict.fromkeys(module.BOOK)  # a stand-in
    assert m["stands_in_for"] == module.STANDS_IN_FOR and set(module.BOOK) <= set(m)
    assert (smoke.out / "chapter05" / "vgg16_feature_extraction@mobilenet.smoke.json").exists()
    model = keras.models.load_model(smoke.out / m["model_file"])  # base + classifier
    assert model.input_shape == (None, SIZE, SIZE, 3) and model.output_shape == (None, 1)
    assert layer_settings(model) == [
        MOBILENET_SCALING,
        ("Functional",),
        ("Flatten",),
        ("Sequential",),
    ]
    classifier = model.layers[-1]
    assert classifier.input_shape == (None, 256)
    assert layer_settings(classifier) == FEATURE_CLASSIFIER
    no_machine_paths(result, ch5_data, smoke.out)


def _base_inputs(smoke, photos):
    """The photos the conv base was shown, call by call: (names, their pixels as given)."""
    calls = own_calls(smoke.calls.of("predict"))
    base = calls[0].model
    assert all(c.model is base for c in calls) and base.name.startswith("mobilenet")
    x = np.concatenate([c.x for c in calls])
    # the base's own preprocessing: [0, 255] -> [-1, 1] (mobilenet.preprocess_input)
    names = photo_names_of((x + 1) * 127.5, photos, tol=1e-3)
    return names, x, [len(c.x) for c in calls], base


def test_feature_extraction_base_sees_each_subset_unaugmented_and_scaled(smoke, photos):
    names, x, sizes, _ = _base_inputs(smoke, photos)
    assert sizes == [5, 5, 2, 5, 1, 5, 1]  # batches of BATCH_SIZE, subset by subset
    assert sorted(names[:12]) == smoke_split_names("train")
    assert sorted(names[12:18]) == smoke_split_names("validation")
    assert sorted(names[18:]) == smoke_split_names("test")
    expected = np.stack([photos[n] for n in names]) / 127.5 - 1
    np.testing.assert_allclose(x, expected, atol=1e-6)


def _features_of(base, photos):
    """{name: the base's flattened output for that photo, scaled its way}, computed here."""
    x = np.stack(list(photos.values())) / 127.5 - 1
    features = keras.ops.convert_to_numpy(base(x, training=False)).reshape(len(x), -1)
    return dict(zip(photos, features))


def _which(features, reference: dict) -> list[str]:
    """The photo whose features each row is, to 0.1% of the row's largest value (a random
    MobileNet's features are tiny, ~1e-17, but differ from photo to photo by 4% or more)."""
    names, table = list(reference), np.stack(list(reference.values()))
    found = []
    for row in np.asarray(features):
        scale = np.abs(row).max()
        assert scale > 0, "all-zero features"
        distance = np.abs(table - row).max(axis=1) / scale
        best = int(distance.argmin())
        assert distance[best] < 1e-3, f"features of no photo (off by {distance[best]:.2%})"
        found.append(names[best])
    return found


def test_feature_extraction_classifier_learns_each_photos_features_with_its_label(smoke, photos):
    _, _, _, base = _base_inputs(smoke, photos)
    reference = _features_of(base, photos)
    table = np.stack(list(reference.values()))  # each photo's features differ from the rest's
    apart = np.abs(table[:, None] - table[None]).max(axis=2) / np.abs(table).max(axis=1)[:, None]
    assert (apart + np.eye(len(table))).min() > 1e-2
    [fit] = own_calls(smoke.calls.of("fit"))
    [evaluate] = own_calls(smoke.calls.of("evaluate"))
    x_val, y_val = fit.validation_data
    for x, y, subset in (
        (fit.x, fit.y, "train"),
        (x_val, y_val, "validation"),
        (evaluate.x, evaluate.y, "test"),
    ):
        assert x.shape == (len(smoke_split_names(subset)), 256)  # flattened (1, 1, 256)
        names = _which(x, reference)
        assert sorted(names) == smoke_split_names(subset)
        assert np.asarray(y).ravel().tolist() == [label_of(n) for n in names]
    assert evaluate.model is fit.model
    # the book's settings: 30 epochs in full (1 in smoke), batches of 20, RMSprop(2e-5)
    assert (fit.epochs, fit.batch_size) == (1, BATCH)
    assert fit.learning_rate == pytest.approx(2e-5)


def test_vgg16_default_without_weights_is_a_clear_error(tmp_path):
    data = fakedata.new_data_root(tmp_path / "data")
    with pytest.raises(MissingData) as exc:
        vgg16_feature_extraction.main(smoke_args(data, tmp_path / "out"))
    assert exc.value.files == ["models/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"]
    assert "downloads are off" in str(exc.value)


def test_a_wrong_weights_file_is_one_line(ch5_data, tmp_path):
    from chapter05 import vgg16_fine_tuning

    wrong = tmp_path / "not_weights.h5"
    wrong.write_bytes(b"not an HDF5 file")
    out_dir = tmp_path / "out"
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", str(wrong))
    with pytest.raises(BadData, match="not loadable as the MobileNet") as exc:
        vgg16_fine_tuning.main(args)
    assert exc.value.fields["file"] == "not_weights.h5"
    with pytest.raises(UserError, match="--weights .*: no such file"):
        vgg16_feature_extraction.main([*args[:-1], str(tmp_path / "missing.h5")])


@pytest.mark.realdata
def test_real_source_and_mobilenet_weights(real_data):
    data = DataFolders.resolve(real_data)
    folder = dogs_vs_cats.find_source(data, 2000)
    for name in ("cat.0.jpg", "dog.1999.jpg"):
        dogs_vs_cats.check_jpeg(folder / name)
    weights = imagenet.find_weights(data, "mobilenet", include_top=False, weights="imagenet")
    application, options, what = vgg16_feature_extraction.APPLICATIONS["mobilenet"]
    base = imagenet.build(
        application, data, weights, what, include_top=False, input_shape=(160, 160, 3), **options
    )
    assert base.output_shape == (None, 5, 5, 256)
    assert any(r["file"].startswith("models/mobilenet") for r in data.read)
    image = load_image_array(folder / "dog.1500.jpg", (160, 160))
    features = base(imagenet.rescaling("mobilenet")(image[None]))
    assert np.isfinite(np.asarray(features)).all() and np.asarray(features).std() > 0
    assert imagenet.WEIGHTS[("mobilenet", False)][0] == "mobilenet_2_5_224_tf_no_top.h5"
