"""Chapter 3, IMDB: multi-hot reviews, a validation split of the first training rows, a retrain
on all of them, and a test on the test split. What reaches Keras is checked against the raw
reviews read here from the tar (the loader's order and Keras' seed-113 shuffles), and the
book's arithmetic against NumPy."""

import json
import re
import tarfile
from types import SimpleNamespace

import fakedata
import numpy as np
import pytest
from fakedata.imdb import NEGATIVE, POSITIVE
from support import own_calls, run_once, smoke_args

from chapter03 import imdb_binary_classification
from chapter03.imdb_binary_classification import vectorize_sequences

SMOKE = imdb_binary_classification.PROFILES["smoke"]
PER_CLASS = 310  # 620 training reviews: the smoke profile's first 600 are a real slice
assert 2 * PER_CLASS > SMOKE["train_samples"] > SMOKE["val_samples"]
assert SMOKE["epochs"] != SMOKE["final_epochs"]  # so a phase that takes the other's shows


@pytest.fixture(scope="module")
def imdb_root(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("imdb_data"))
    fakedata.write_imdb_raw(root, per_class=PER_CLASS)
    return root


@pytest.fixture(scope="module")
def imdb(imdb_root, test_cache, tmp_path_factory):
    """One run of the script for the whole file: its result, what reached Keras, its figures."""
    out = tmp_path_factory.mktemp("imdb") / "results"
    run = run_once(imdb_binary_classification.main, smoke_args(imdb_root, out), test_cache)
    run.out = out
    return run


@pytest.fixture(scope="module")
def reviews(imdb_root):
    """The reviews read here from the tar: each split in the loader's order (negative reviews
    first, each class by id), shuffled as Keras does (one RandomState(113), train then test),
    multi-hot over 10,000 columns (1 = start of sequence, word rank + 3), labels 1.0 = pos."""
    index = json.loads((imdb_root / "datasets" / "imdb_word_index.json").read_text())
    found = {"train": [], "test": []}
    with tarfile.open(imdb_root / "datasets" / "aclImdb_v1.tar.gz") as tar:
        for member in tar.getmembers():
            _, subset, label, name = member.name.split("/")
            text = tar.extractfile(member).read().decode("utf-8")
            found[subset].append((label == "pos", int(name.split("_")[0]), text))
    rng = np.random.RandomState(113)
    out = {}
    for subset in ("train", "test"):
        rows = sorted(found[subset])
        order = np.arange(len(rows))
        rng.shuffle(order)
        x = np.zeros((len(rows), 10000), dtype="float32")
        for i, j in enumerate(order):
            words = re.findall(r"[a-z0-9']+", rows[j][2].lower())
            x[i, [1] + [index[w] + 3 for w in words if w in index]] = 1.0
        y = np.array([float(rows[j][0]) for j in order], dtype="float32")
        out[subset] = (x, y)
    n = SMOKE["train_samples"]
    return SimpleNamespace(
        x_train=out["train"][0][:n],
        y_train=out["train"][1][:n],
        x_test=out["test"][0][:n],
        y_test=out["test"][1][:n],
        positive_columns=[index[w] + 3 for w in POSITIVE],
        negative_columns=[index[w] + 3 for w in NEGATIVE],
    )


# -- the smoke run ----------------------------------------------------------------------------


def test_imdb_binary_classification_smoke(imdb):
    m = imdb.metrics
    assert m["best_val_epoch"] == 1 + int(np.argmax(m["history"]["val_accuracy"]))
    assert set(m["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert (imdb.out / "chapter03" / "imdb_binary_classification.smoke_curves.png").exists()
    assert {s["what"] for s in imdb.result["data"]} >= {
        "IMDB raw reviews (aclImdb)",
        "IMDB word index",
    }


def test_imdb_phases_reaching_keras(imdb):
    # the 20-epoch run with validation, the retrain from scratch, one test
    fits = imdb.calls.of("fit")
    assert len(fits) == 2 and fits[0].model is not fits[1].model
    [evaluate] = own_calls(imdb.calls.of("evaluate"))
    assert evaluate.model is fits[1].model  # the retrained model is the one tested
    assert not imdb.calls.of("predict")


# -- which rows, which labels, prepared how ------------------------------------------------


def test_imdb_validation_is_the_first_training_rows_and_the_rest_trains(imdb, reviews):
    fit = imdb.calls.of("fit")[0]
    v = SMOKE["val_samples"]
    x_val, y_val = fit.validation_data
    assert np.array_equal(x_val, reviews.x_train[:v]) and np.array_equal(y_val, reviews.y_train[:v])
    # the partial training rows are the rest of the (sliced) training rows, in order: disjoint
    assert np.array_equal(fit.x, reviews.x_train[v:]) and np.array_equal(fit.y, reviews.y_train[v:])


def test_imdb_retrain_uses_all_training_rows(imdb, reviews):
    fit = imdb.calls.of("fit")[1]
    assert np.array_equal(fit.x, reviews.x_train) and np.array_equal(fit.y, reviews.y_train)
    assert fit.args.get("validation_data") is None


def test_imdb_test_is_the_test_split(imdb, reviews):
    [evaluate] = own_calls(imdb.calls.of("evaluate"))
    assert np.array_equal(evaluate.x, reviews.x_test)
    assert np.array_equal(evaluate.y, reviews.y_test)


def test_imdb_inputs_are_multi_hot_and_labels_float_0_1(imdb):
    [evaluate] = own_calls(imdb.calls.of("evaluate"))
    fit = imdb.calls.of("fit")[0]
    for x, y in ((fit.x, fit.y), fit.validation_data, (evaluate.x, evaluate.y)):
        assert x.dtype == np.float32 and x.shape[1] == 10000
        assert set(np.unique(x).tolist()) == {0.0, 1.0}
        assert np.all(x[:, 1] == 1)  # every sequence starts with the start mark
        assert y.dtype == np.float32 and y.shape == (len(x),)
        assert set(np.unique(y).tolist()) == {0.0, 1.0}


def test_imdb_labels_belong_to_their_reviews(imdb):
    # a fake review says what it is: positive words in positive reviews only, and the other way
    pos = [21, 23, 25, 27]  # good, great, love, fun: ranks 18, 20, 22, 24, + 3
    neg = [22, 24, 26]  # bad, awful, boring
    [evaluate] = own_calls(imdb.calls.of("evaluate"))
    fits = imdb.calls.of("fit")
    for x, y in ((fits[0].x, fits[0].y), fits[0].validation_data, (fits[1].x, fits[1].y)):
        assert np.array_equal(x[:, pos].any(axis=1), y == 1)
        assert np.array_equal(x[:, neg].any(axis=1), y == 0)
    assert np.array_equal(evaluate.x[:, pos].any(axis=1), evaluate.y == 1)


def test_imdb_sentiment_columns_are_the_word_index_ones(reviews):
    # the columns the test above reads, from the word index written with the data
    assert reviews.positive_columns == [21, 23, 25, 27]
    assert reviews.negative_columns == [22, 24, 26]


# -- settings, phase by phase -----------------------------------------------------------------


def test_imdb_settings_per_phase(imdb):
    fits = imdb.calls.of("fit")
    assert [(c.epochs, c.batch_size) for c in fits] == [
        (SMOKE["epochs"], 512),
        (SMOKE["final_epochs"], 512),
    ]
    assert all(c.learning_rate == pytest.approx(0.001) for c in fits)  # RMSprop's default


def test_imdb_profiles_are_the_books():
    # 20 epochs on 15,000 reviews validated on 10,000, then 4 epochs on all 25,000
    book = {"epochs": 20, "final_epochs": 4, "train_samples": None, "val_samples": 10000}
    assert imdb_binary_classification.PROFILES["full"] == book
    assert imdb_binary_classification.PROFILES["quick"] == book


# -- the arithmetic, against NumPy --------------------------------------------------------------


def test_imdb_test_scores_are_the_retrained_models(imdb, reviews):
    model = imdb.calls.of("fit")[1].model
    p = np.asarray(model(reviews.x_test, training=False), dtype="float64").reshape(-1)
    y = reviews.y_test
    accuracy = np.mean((p > 0.5) == (y == 1))
    p = np.clip(p, 1e-7, 1 - 1e-7)
    crossentropy = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert imdb.metrics["test_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert imdb.metrics["test_loss"] == pytest.approx(crossentropy, rel=1e-4)


def test_imdb_best_epochs_and_curves_are_the_first_runs(imdb):
    h = imdb.calls.of("fit")[0].model.history.history
    m = imdb.metrics
    assert m["best_val_accuracy"] == pytest.approx(max(h["val_accuracy"]))
    assert m["best_val_epoch"] == 1 + int(np.argmax(h["val_accuracy"]))
    assert m["val_loss_min_epoch"] == 1 + int(np.argmin(h["val_loss"]))
    [fig] = imdb.figures
    ax_loss, ax_acc = fig.axes
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        train, val = ax.lines  # training as dots, validation as a line
        assert train.get_linestyle() == "None" and val.get_linestyle() == "-"
        assert list(train.get_xdata()) == list(range(1, SMOKE["epochs"] + 1))
        assert np.allclose(train.get_ydata(), h[key]) and np.allclose(
            val.get_ydata(), h[f"val_{key}"]
        )


def test_vectorize_sequences_multi_hot():
    out = vectorize_sequences([[1, 3, 3], [0], [], [4, 2]], dimension=5)
    assert out.shape == (4, 5) and out.dtype == np.float32
    assert out.tolist() == [[0, 1, 0, 1, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 0, 1]]


def test_imdb_classifier_is_the_books():
    model = imdb_binary_classification.build_model()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"] * 3
    assert [layer.units for layer in model.layers] == [16, 16, 1]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "relu", "sigmoid"]
    assert model.input_shape == (None, 10000)
    assert type(model.optimizer).__name__ == "RMSprop" and model.loss == "binary_crossentropy"
    # the notebooks print no summary in chapter 3: the count listing 3.5 implies
    assert model.count_params() == 10000 * 16 + 16 + 16 * 16 + 16 + 16 + 1
