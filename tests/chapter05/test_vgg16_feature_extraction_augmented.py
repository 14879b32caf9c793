"""Chapter 5.3.1, feature extraction with augmentation: the VGG16 base frozen inside the model
(30 trainable weight tensors before, 4 after: only the classifier trains), augmented training
photos with their own labels, validation and test photos as they are, the base fed the book's
1/255 scaling, RMSprop(2e-5), batches of BATCH_SIZE."""

import math

import keras
import numpy as np
import pytest
from fakedata.dogs_vs_cats import label_of, photo_names, smoke_split_names
from support import (
    compile_calls,
    compiled,
    dataset_pass,
    layer_settings,
    no_machine_paths,
    own_calls,
    photo_names_of,
    record_trainable,
    run_once,
    smoke_args,
)

from chapter05 import vgg16_feature_extraction_augmented
from dlwp.data import dogs_vs_cats, imagenet
from dlwp.data.core import TEST_MARKER

SIZE = 32  # the smoke profile's image size
BATCH = 5  # BATCH_SIZE during the smoke run: 12 training photos make batches of 5, 5, 2
ON_THE_BASE = [("Functional",), ("Flatten",), ("Dense", 256, "relu"), ("Dense", 1, "sigmoid")]
RESCALE_255 = ("Rescaling", 1 / 255, 0.0)  # the book's rescale=1./255, before VGG16


@pytest.fixture(scope="module")
def smoke(ch5_data, tmp_path_factory):
    """One smoke run on VGG16 (random weights), what reached Keras recorded, with the model's
    trainable weights at each fit."""
    out, cache = tmp_path_factory.mktemp("results"), tmp_path_factory.mktemp("cache")
    (cache / TEST_MARKER).write_text("test cache\n")
    argv = smoke_args(ch5_data, out, "--weights", "none")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vgg16_feature_extraction_augmented, "BATCH_SIZE", BATCH)
        trainable = record_trainable(mp)
        run = run_once(vgg16_feature_extraction_augmented.main, argv, cache)
    run.out, run.trainable = out, trainable
    return run


def test_vgg16_feature_extraction_augmented_book_numbers_are_the_notebooks():
    assert vgg16_feature_extraction_augmented.BOOK == {
        "best_val_accuracy": 0.979,  # 5.3, cell 24: val_acc 0.9790 at epoch 15 of 30
        "best_val_epoch": 15,
        "final_val_accuracy": 0.951,  # cell 24: epoch 30
        "test_accuracy": None,  # not evaluated
        "trainable_weights_before_freezing": 30,  # cell 20
        "trainable_weights_after_freezing": 4,  # cell 22
    }


def test_vgg16_feature_extraction_augmented_full_profile_is_the_books():
    module = vgg16_feature_extraction_augmented
    for profile, epochs in (("full", 30), ("quick", 10), ("smoke", 1)):
        args = module.parse_args(["--profile", profile])
        assert (args.base, args.weights, args.epochs) == ("vgg16", "imagenet", epochs)
        split = dogs_vs_cats.SMOKE_SPLIT if profile == "smoke" else dogs_vs_cats.SPLIT
        assert args.split == split and args.image_size == (SIZE if profile == "smoke" else None)
    assert module.BATCH_SIZE == 20  # cell 24: both generators
    assert module.IMAGE_SIZE == {"vgg16": 150, "mobilenet": 160}
    assert {base: entry[:2] for base, entry in module.APPLICATIONS.items()} == {
        "vgg16": (keras.applications.VGG16, {}),
        "mobilenet": (keras.applications.MobileNet, {"alpha": 0.25}),
    }
    conv_base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    model = module.build_model(conv_base, imagenet.rescaling("vgg16"), 150)
    assert model.input_shape == (None, 150, 150, 3) and model.layers[1] is conv_base
    assert layer_settings(model) == [RESCALE_255, *ON_THE_BASE]
    # 5.3, cell 18: Total params 16,812,353: vgg16 14,714,688, dense 2,097,408, dense 257
    assert model.count_params() == 16812353
    counts = [layer.count_params() for layer in model.layers if layer.weights]
    assert counts == [14714688, 2097408, 257]
    assert len(model.trainable_weights) == 30  # cell 20
    conv_base.trainable = False
    assert len(model.trainable_weights) == 4  # cell 22
    trainable = sum(int(np.prod(w.shape)) for w in conv_base.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in conv_base.non_trainable_weights)
    assert (trainable, frozen) == (0, 14714688)  # 5.3, cell 31
    # the MobileNet stand-in at its size: its BatchNormalization weights count too
    application, options, _ = module.APPLICATIONS["mobilenet"]
    conv_base = application(weights=None, include_top=False, input_shape=(160, 160, 3), **options)
    assert conv_base.output_shape == (None, 5, 5, 256)
    model = module.build_model(conv_base, imagenet.rescaling("mobilenet"), 160)
    assert layer_settings(model) == [("Rescaling", 1 / 127.5, -1.0), *ON_THE_BASE]
    assert len(model.trainable_weights) == 81 + 4
    conv_base.trainable = False
    assert len(model.trainable_weights) == 4


def test_vgg16_feature_extraction_augmented_compile_call_is_the_books():
    [keywords] = compile_calls("chapter05/vgg16_feature_extraction_augmented.py")
    assert keywords == {
        "optimizer": "keras.optimizers.RMSprop(learning_rate=2e-05, "
        "epsilon=KERAS2_RMSPROP_EPSILON)",
        "loss": "'binary_crossentropy'",
        "metrics": "['accuracy']",
    }


def test_feature_extraction_augmented_smoke_counts_like_the_book(smoke, ch5_data):
    m = smoke.metrics
    assert m["trainable_weights_before_freezing"] == 30  # the book's counts, VGG16
    assert m["trainable_weights_after_freezing"] == 4
    result = smoke.result
    assert result["variant"] is None and math.isfinite(m["test_loss"])
    module = vgg16_feature_extraction_augmented
    assert result["book"] == module.BOOK and set(module.BOOK) <= set(m)  # the book's, beside
    assert "stands_in_for" not in m
    model = keras.models.load_model(smoke.out / m["model_file"])  # what main trained
    assert layer_settings(model) == [RESCALE_255, *ON_THE_BASE]
    assert model.layers[1].name == "vgg16"
    assert compiled(model) == ("RMSprop", 2e-5, "binary_crossentropy")
    assert not model.layers[1].trainable and len(model.trainable_weights) == 4
    no_machine_paths(result, ch5_data, smoke.out)


def test_feature_extraction_augmented_trains_only_the_classifier(smoke):
    [fit] = own_calls(smoke.calls.of("fit"))
    dense = [layer for layer in fit.model.layers if isinstance(layer, keras.layers.Dense)]
    classifier = [w.path for layer in dense for w in layer.weights]
    assert len(classifier) == 4 and smoke.trainable == [classifier]  # the base frozen
    assert (fit.epochs, fit.learning_rate) == (1, pytest.approx(2e-5))


def test_feature_extraction_augmented_trains_on_augmented_training_photos(smoke, photos):
    [fit] = own_calls(smoke.calls.of("fit"))
    x, y, sizes = dataset_pass(fit.x)
    assert sizes == [5, 5, 2]  # one pass (the book's 100 steps of 20), batches of BATCH_SIZE
    names = photo_names(x)
    assert sorted(names) == smoke_split_names("train")
    assert y[:, 0].tolist() == [label_of(n) for n in names]
    originals = np.stack([photos[n] for n in names])
    assert (np.abs(x - originals).mean(axis=(1, 2, 3)) > 2).all()  # every one augmented
    again, _, _ = dataset_pass(fit.x, batches=1)
    assert np.abs(x[:5] - again).mean() > 2  # anew on every pass


def test_feature_extraction_augmented_validates_and_tests_on_their_photos(smoke, photos):
    [fit] = own_calls(smoke.calls.of("fit"))
    [evaluate] = own_calls(smoke.calls.of("evaluate"))
    assert evaluate.model is fit.model
    for dataset, subset in ((fit.validation_data, "validation"), (evaluate.x, "test")):
        x, y, sizes = dataset_pass(dataset)
        assert sizes == [5, 1]
        names = photo_names_of(x, photos, tol=0)  # unaugmented
        assert sorted(names) == smoke_split_names(subset)
        assert y[:, 0].tolist() == [label_of(n) for n in names]
        assert np.array_equal(dataset_pass(dataset)[0], x)  # the same on every draw
        # what reaches the VGG16 base: the book's 1/255
        base = next(i for i, layer in enumerate(fit.model.layers) if layer.name == "vgg16")
        h = x.astype("float32")
        for layer in fit.model.layers[:base]:
            h = keras.ops.convert_to_numpy(layer(h))
        np.testing.assert_allclose(h, np.stack([photos[n] for n in names]) / 255, atol=1e-6)
