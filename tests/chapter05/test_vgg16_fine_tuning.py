"""Chapter 5.3.2, fine-tuning: two phases, each with its own settings. First the classifier on
the frozen base (only its 4 weight tensors train; RMSprop(2e-5), the profile's head epochs), then
the last block unfrozen (its convolutions' kernels join; BatchNormalization stays frozen;
RMSprop(1e-5), the profile's epochs). Both train on augmented training photos with their own
labels and validate on the validation photos as they are; the fine-tuned model is judged on the
test photos. The base is fed its own scaling; the curves are the book's smoothing."""

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

from chapter05 import vgg16_fine_tuning
from dlwp.data import dogs_vs_cats, imagenet
from dlwp.data.core import TEST_MARKER
from dlwp.history import smooth_curve

SIZE = 32  # the smoke profile's image size
BATCH = 5  # BATCH_SIZE during the smoke run: 12 training photos make batches of 5, 5, 2
EPOCHS = 2  # --epochs of the smoke run: the fine-tuning's, apart from the head's 1
ON_THE_BASE = [("Functional",), ("Flatten",), ("Dense", 256, "relu"), ("Dense", 1, "sigmoid")]
MOBILENET_SCALING = ("Rescaling", 1 / 127.5, -1.0)


@pytest.fixture(scope="module")
def smoke(ch5_data, tmp_path_factory):
    """One smoke run on the MobileNet stand-in, --epochs 2, what reached Keras recorded, with
    the model's trainable weights at each fit."""
    out, cache = tmp_path_factory.mktemp("results"), tmp_path_factory.mktemp("cache")
    (cache / TEST_MARKER).write_text("test cache\n")
    argv = smoke_args(ch5_data, out, "--base", "mobilenet", "--weights", "none")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vgg16_fine_tuning, "BATCH_SIZE", BATCH)
        trainable = record_trainable(mp)
        run = run_once(vgg16_fine_tuning.main, [*argv, "--epochs", str(EPOCHS)], cache)
    run.out, run.trainable = out, trainable
    return run


def test_vgg16_fine_tuning_book_numbers_are_the_notebooks():
    assert vgg16_fine_tuning.BOOK == {
        "test_accuracy": 0.968,  # 5.3, cell 42: test acc: 0.967999992371
        "best_val_accuracy": 0.983,  # cell 35: val_acc 0.9830 at epoch 30 of 100
        "best_val_epoch": 30,
        "final_val_accuracy": 0.975,  # cell 35: epoch 100
        "val_accuracy_before_fine_tuning": 0.951,  # cell 24: epoch 30 on the frozen base
    }


def test_vgg16_fine_tuning_profiles_phase_by_phase():
    module = vgg16_fine_tuning
    # (fine-tuning epochs, head epochs): the book's 100 after 30 (cells 35 and 24)
    for profile, epochs in (("full", (100, 30)), ("quick", (8, 5)), ("smoke", (1, 1))):
        args = module.parse_args(["--profile", profile])
        assert (args.epochs, args.head_epochs) == epochs
        assert (args.base, args.weights) == ("vgg16", "imagenet")
        split = dogs_vs_cats.SMOKE_SPLIT if profile == "smoke" else dogs_vs_cats.SPLIT
        assert args.split == split and args.image_size == (SIZE if profile == "smoke" else None)
    assert module.BATCH_SIZE == 20  # cells 24 and 42
    assert module.IMAGE_SIZE == {"vgg16": 150, "mobilenet": 160}
    assert module.FINE_TUNE_FROM == {"vgg16": "block5_conv1", "mobilenet": "conv_dw_13"}
    assert {base: entry[:2] for base, entry in module.APPLICATIONS.items()} == {
        "vgg16": (keras.applications.VGG16, {}),
        "mobilenet": (keras.applications.MobileNet, {"alpha": 0.25}),
    }


def test_vgg16_fine_tuning_full_model_is_the_books():
    conv_base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    model = vgg16_fine_tuning.build_model(conv_base, imagenet.rescaling("vgg16"), 150)
    assert model.layers[1] is conv_base
    assert layer_settings(model) == [("Rescaling", 1 / 255, 0.0), *ON_THE_BASE]
    assert model.count_params() == 16812353  # the model of 5.3, cell 18, fine-tuned
    assert len(model.trainable_weights) == 30
    conv_base.trainable = False
    assert len(model.trainable_weights) == 4
    vgg16_fine_tuning.set_trainable_from(conv_base, "block5_conv1")
    assert len(model.trainable_weights) == 6 + 4  # block5's three convolutions + classifier


def test_vgg16_fine_tuning_compile_calls_are_the_books():
    """The classifier on the frozen base with 2e-5 (cell 24), the fine-tuning with 1e-5."""
    calls = compile_calls("chapter05/vgg16_fine_tuning.py")
    rmsprop = "keras.optimizers.RMSprop(learning_rate={}, epsilon=KERAS2_RMSPROP_EPSILON)"
    assert calls == [
        {
            "optimizer": rmsprop.format(rate),
            "loss": "'binary_crossentropy'",
            "metrics": "['accuracy']",
        }
        for rate in ("2e-05", "1e-05")
    ]


def test_set_trainable_from_unfreezes_the_last_block():
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    names = vgg16_fine_tuning.set_trainable_from(vgg, "block5_conv1")
    assert names == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert len(vgg.trainable_weights) == 6
    assert [layer.trainable for layer in vgg.layers if layer.weights].count(True) == 3
    mobilenet = keras.applications.MobileNet(
        input_shape=(32, 32, 3), alpha=0.25, include_top=False, weights=None
    )
    names = vgg16_fine_tuning.set_trainable_from(mobilenet, "conv_dw_13")
    assert names == ["conv_dw_13", "conv_pw_13"]  # batch norm stays frozen
    with pytest.raises(ValueError):
        vgg16_fine_tuning.set_trainable_from(vgg, "no_such_layer")


def test_smooth_curve():
    """The book's exponential moving average, factor 0.8: each point 0.8 of the previous
    smoothed one plus 0.2 of its own."""
    assert smooth_curve([1.0, 0.0, 0.0]) == pytest.approx([1.0, 0.8, 0.64])
    assert smooth_curve([0.0, 1.0, 3.0], factor=0.5) == pytest.approx([0.0, 0.5, 1.75])


def test_fine_tuning_smoke(smoke, ch5_data):
    m = smoke.metrics
    assert m["unfrozen_layers"] == ["conv_dw_13", "conv_pw_13"]
    assert m["trainable_weights_fine_tuning"] == 2 + 4  # two conv kernels + the classifier
    assert math.isfinite(m["test_loss"]) and len(m["history"]["val_accuracy"]) == EPOCHS
    first, second = m["history"]["val_accuracy"]  # the book's smoothing, factor 0.8
    assert m["smoothed_val_accuracy"] == pytest.approx(
        [first, 0.8 * first + 0.2 * second], abs=1e-4
    )
    assert (smoke.out / "chapter05" / "vgg16_fine_tuning@mobilenet.smoke_curves.png").exists()
    result = smoke.result
    module = vgg16_fine_tuning
    assert result["variant"] and result["book"] == dict.fromkeys(module.BOOK)  # a stand-in
    assert m["stands_in_for"] == module.STANDS_IN_FOR and set(module.BOOK) <= set(m)
    model = keras.models.load_model(smoke.out / m["model_file"])  # what main fine-tuned
    assert layer_settings(model) == [MOBILENET_SCALING, *ON_THE_BASE]
    assert compiled(model) == ("RMSprop", 1e-5, "binary_crossentropy")
    assert len(model.trainable_weights) == 2 + 4
    no_machine_paths(result, ch5_data, smoke.out)


def test_fine_tuning_phases_have_their_own_settings_and_trainable_weights(smoke):
    head, fine = own_calls(smoke.calls.of("fit"))
    assert head.model is fine.model
    model = fine.model
    base = next(layer for layer in model.layers if layer.name.startswith("mobilenet"))
    classifier = [
        w.path
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense)
        for w in layer.weights
    ]
    last_block = [
        w.path for name in ("conv_dw_13", "conv_pw_13") for w in base.get_layer(name).weights
    ]
    assert len(classifier) == 4 and len(last_block) == 2
    assert smoke.trainable[0] == classifier  # the head: the base frozen
    assert sorted(smoke.trainable[1]) == sorted(last_block + classifier)
    # the phases' epochs and learning rates: the profile's head epochs, then --epochs
    assert (head.epochs, head.learning_rate) == (1, pytest.approx(2e-5))
    assert (fine.epochs, fine.learning_rate) == (EPOCHS, pytest.approx(1e-5))


def test_fine_tuning_trains_both_phases_on_augmented_training_photos(smoke, photos):
    for fit in own_calls(smoke.calls.of("fit")):
        x, y, sizes = dataset_pass(fit.x)
        assert sizes == [5, 5, 2]  # one pass per epoch, batches of BATCH_SIZE
        names = photo_names(x)
        assert sorted(names) == smoke_split_names("train")
        assert y[:, 0].tolist() == [label_of(n) for n in names]
        originals = np.stack([photos[n] for n in names])
        assert (np.abs(x - originals).mean(axis=(1, 2, 3)) > 2).all()  # every one augmented


def test_fine_tuning_validates_and_tests_on_their_photos_scaled_for_the_base(smoke, photos):
    head, fine = own_calls(smoke.calls.of("fit"))
    [evaluate] = own_calls(smoke.calls.of("evaluate"))
    assert evaluate.model is fine.model  # the fine-tuned model is judged
    model = fine.model
    base = next(i for i, layer in enumerate(model.layers) if layer.name.startswith("mobilenet"))
    for dataset, subset in (
        (head.validation_data, "validation"),
        (fine.validation_data, "validation"),
        (evaluate.x, "test"),
    ):
        x, y, sizes = dataset_pass(dataset)
        assert sizes == [5, 1]
        names = photo_names_of(x, photos, tol=0)  # unaugmented
        assert sorted(names) == smoke_split_names(subset)
        assert y[:, 0].tolist() == [label_of(n) for n in names]
        assert np.array_equal(dataset_pass(dataset)[0], x)  # the same on every draw
        h = x.astype("float32")  # what reaches the base: MobileNet's [-1, 1]
        for layer in model.layers[:base]:
            h = keras.ops.convert_to_numpy(layer(h))
        expected = np.stack([photos[n] for n in names]) / 127.5 - 1
        np.testing.assert_allclose(h, expected, atol=1e-6)
