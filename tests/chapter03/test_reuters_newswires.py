"""Chapter 3, Reuters: multi-hot newswires, one-hot topics, the notebook's 1,000-row validation
split, the retrain on the same partial training rows, the test split, and the Dense(4)
bottleneck. What reaches Keras is checked against reuters.npz read here (Keras' seed-113 shuffle,
the last 20% for test), and the book's arithmetic against NumPy."""

import copy
from types import SimpleNamespace

import fakedata
import keras
import numpy as np
import pytest
from support import own_calls, run_once, smoke_args

from chapter03 import reuters_newswires
from chapter03.reuters_newswires import to_one_hot, vectorize_sequences

SMOKE = reuters_newswires.PROFILES["smoke"]
# 2,408 training and 602 test rows: the smoke profile's first 600 are a real slice of both
NEWSWIRES = 3010
assert NEWSWIRES - int(NEWSWIRES * 0.8) > SMOKE["train_samples"] > SMOKE["val_samples"]
assert SMOKE["epochs"] != SMOKE["final_epochs"]  # so a phase that takes the other's shows


@pytest.fixture(scope="module")
def reuters_root(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("reuters_data"))
    fakedata.write_reuters(root, n=NEWSWIRES)
    return root


@pytest.fixture(scope="module")
def reuters(reuters_root, test_cache, tmp_path_factory):
    """One run of the script for the whole file: its result and what reached Keras."""
    out = tmp_path_factory.mktemp("reuters") / "results"
    return run_once(reuters_newswires.main, smoke_args(reuters_root, out), test_cache)


@pytest.fixture(scope="module")
def newswires(reuters_root):
    """reuters.npz read here: Keras' seed-113 shuffle, the first 80% for training and the rest
    for test, each sliced to the smoke profile's first rows; multi-hot over 10,000 columns
    (1 = start of sequence, word id + 3, 2 = a word id past 10,000); one-hot over 46 topics."""
    with np.load(reuters_root / "datasets" / "reuters.npz", allow_pickle=True) as f:
        sequences, topics = f["x"], f["y"]  # read once (each f[...] reads the file again)
    order = np.arange(len(topics))
    np.random.RandomState(113).shuffle(order)
    cut = int(len(order) * 0.8)
    n = SMOKE["train_samples"]
    train, test = order[:cut][:n], order[cut:][:n]

    def multi_hot(rows):
        x = np.zeros((len(rows), 10000), dtype="float32")
        for i, j in enumerate(rows):
            x[i, [1] + [w + 3 if w + 3 < 10000 else 2 for w in sequences[j]]] = 1.0
        return x

    return SimpleNamespace(
        x_train=multi_hot(train),
        labels_train=topics[train],
        y_train=np.eye(46, dtype="float32")[topics[train]],
        x_test=multi_hot(test),
        labels_test=topics[test],
        y_test=np.eye(46, dtype="float32")[topics[test]],
    )


# -- the smoke run ----------------------------------------------------------------------------


def test_reuters_smoke(reuters):
    m = reuters.metrics
    assert m["to_one_hot_equals_to_categorical"] and m["prediction_rows_sum_to_1"]
    assert m["random_baseline"] < 0.2 and np.isfinite(m["test_loss"])  # 46 classes


def test_reuters_phases_reaching_keras(reuters):
    # the 20-epoch run, the retrain from scratch, the bottleneck; one test, one prediction
    fits = reuters.calls.of("fit")
    assert len(fits) == 3 and len({id(c.model) for c in fits}) == 3
    [evaluate] = own_calls(reuters.calls.of("evaluate"))
    [predict] = reuters.calls.of("predict")
    assert evaluate.model is fits[1].model and predict.model is fits[1].model
    # the first two are the book's 64-64-46 network, the third squeezes through 4 units
    units = [[layer.units for layer in c.model.layers] for c in fits]
    assert units == [[64, 64, 46], [64, 64, 46], [64, 4, 46]]


# -- which rows, which labels, prepared how ------------------------------------------------


@pytest.mark.parametrize("phase", ["first run", "retrain", "bottleneck"])
def test_reuters_every_fit_validates_on_the_first_1000_and_trains_on_the_rest(
    reuters, newswires, phase
):
    # the notebook's split (1,000 rows in `full`, the profile's in smoke), for all three fits:
    # the retrain, as in the notebook, is on the same partial training rows
    fit = reuters.calls.of("fit")[["first run", "retrain", "bottleneck"].index(phase)]
    v = SMOKE["val_samples"]
    x_val, y_val = fit.validation_data
    assert np.array_equal(x_val, newswires.x_train[:v])
    assert np.array_equal(y_val, newswires.y_train[:v])
    assert np.array_equal(fit.x, newswires.x_train[v:])
    assert np.array_equal(fit.y, newswires.y_train[v:])


def test_reuters_test_is_the_last_20_percent_of_keras_shuffle(reuters, newswires):
    [evaluate] = own_calls(reuters.calls.of("evaluate"))
    [predict] = reuters.calls.of("predict")
    assert np.array_equal(evaluate.x, newswires.x_test)
    assert np.array_equal(evaluate.y, newswires.y_test)
    assert np.array_equal(predict.x, newswires.x_test)


def test_reuters_labels_are_one_hot_of_their_row_topic(reuters, newswires):
    fit = reuters.calls.of("fit")[0]
    [evaluate] = own_calls(reuters.calls.of("evaluate"))
    for y, labels in (
        (fit.validation_data[1], newswires.labels_train[: SMOKE["val_samples"]]),
        (fit.y, newswires.labels_train[SMOKE["val_samples"] :]),
        (evaluate.y, newswires.labels_test),
    ):
        assert y.dtype == np.float32 and y.shape == (len(labels), 46)
        assert np.array_equal(y.sum(axis=1), np.ones(len(y)))
        assert np.array_equal(y.argmax(axis=1), labels)
    assert len(set(newswires.labels_train.tolist())) > 40  # the fake topics spread over 46


def test_reuters_inputs_are_multi_hot(reuters):
    fit = reuters.calls.of("fit")[0]
    [evaluate] = own_calls(reuters.calls.of("evaluate"))
    for x in (fit.x, fit.validation_data[0], evaluate.x):
        assert x.dtype == np.float32 and x.shape[1] == 10000
        assert set(np.unique(x).tolist()) == {0.0, 1.0}
        assert np.all(x[:, 1] == 1)  # every sequence starts with the start mark


# -- settings, phase by phase -----------------------------------------------------------------


def test_reuters_settings_per_phase(reuters):
    fits = reuters.calls.of("fit")
    assert [(c.epochs, c.batch_size) for c in fits] == [
        (SMOKE["epochs"], 512),
        (SMOKE["final_epochs"], 512),
        (SMOKE["epochs"], 128),  # the bottleneck: the first run's epochs, batch 128
    ]
    assert all(c.learning_rate == pytest.approx(0.001) for c in fits)  # RMSprop's default


def test_reuters_profiles_are_the_notebooks():
    # 20 epochs validated on 1,000 rows, then the notebook's 8-epoch retrain
    book = {"epochs": 20, "final_epochs": 8, "train_samples": None, "val_samples": 1000}
    assert reuters_newswires.PROFILES["full"] == book
    assert reuters_newswires.PROFILES["quick"] == book


# -- the arithmetic, against NumPy --------------------------------------------------------------


def test_reuters_test_scores_are_the_retrained_models(reuters, newswires):
    model = reuters.calls.of("fit")[1].model
    p = np.asarray(model(newswires.x_test, training=False), dtype="float64")
    labels = newswires.labels_test
    accuracy = np.mean(p.argmax(axis=1) == labels)
    crossentropy = -np.mean(np.log(np.clip(p[np.arange(len(p)), labels], 1e-7, 1)))
    assert reuters.metrics["test_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert reuters.metrics["test_loss"] == pytest.approx(crossentropy, rel=1e-4)


def test_reuters_random_baseline_is_shuffled_test_labels(reuters, newswires):
    # a random classifier: the test labels against a shuffle of themselves (seed 1, the default)
    shuffled = newswires.labels_test.copy()
    np.random.default_rng(1).shuffle(shuffled)
    expected = np.count_nonzero(shuffled == newswires.labels_test) / len(shuffled)
    assert reuters.metrics["random_baseline"] == pytest.approx(expected)


def test_reuters_best_epochs_are_each_runs(reuters):
    fits = reuters.calls.of("fit")
    h, hb = fits[0].model.history.history, fits[2].model.history.history
    m = reuters.metrics
    assert m["best_val_accuracy"] == pytest.approx(max(h["val_accuracy"]))
    assert m["best_val_epoch"] == 1 + int(np.argmax(h["val_accuracy"]))
    assert m["val_loss_min_epoch"] == 1 + int(np.argmin(h["val_loss"]))
    assert m["bottleneck_best_val_accuracy"] == pytest.approx(max(hb["val_accuracy"]))
    assert m["bottleneck_best_val_epoch"] == 1 + int(np.argmax(hb["val_accuracy"]))


def test_vectorize_sequences_multi_hot():
    out = vectorize_sequences([[1, 3, 3], [0], [], [4, 2]], dimension=5)
    assert out.shape == (4, 5) and out.dtype == np.float32
    assert out.tolist() == [[0, 1, 0, 1, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 0, 1]]


def test_to_one_hot_equals_to_categorical():
    labels = np.array([0, 45, 3, 3, 17])
    expected = np.zeros((5, 46), dtype="float32")
    expected[[0, 1, 2, 3, 4], [0, 45, 3, 3, 17]] = 1
    assert np.array_equal(to_one_hot(labels), expected)
    assert np.array_equal(to_one_hot(labels), keras.utils.to_categorical(labels, 46))
    assert np.array_equal(to_one_hot(copy.copy(labels), dimension=50)[:, :46], expected)


def test_reuters_classifier_is_the_books():
    model = reuters_newswires.build_model()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"] * 3
    assert [layer.units for layer in model.layers] == [64, 64, 46]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "relu", "softmax"]
    assert model.input_shape == (None, 10000)
    assert type(model.optimizer).__name__ == "RMSprop" and model.loss == "categorical_crossentropy"
    # the notebooks print no summary in chapter 3: the count listing 3.6 implies
    assert model.count_params() == 10000 * 64 + 64 + 64 * 64 + 64 + 64 * 46 + 46


def test_reuters_bottleneck_squeezes_through_four_units():
    model = reuters_newswires.build_model(middle_units=4)
    assert [layer.units for layer in model.layers] == [64, 4, 46]
