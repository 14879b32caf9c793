"""Chapter 3: vectorization, one-hot, normalization, k-fold; every script on tiny data."""

import math

import keras
import numpy as np
import pytest
from support import smoke_args

from chapter03 import boston_housing_kfold, imdb_binary_classification, reuters_newswires
from chapter03.boston_housing_kfold import k_fold_indices, normalize
from chapter03.imdb_binary_classification import vectorize_sequences
from chapter03.reuters_newswires import to_one_hot
from chapter03.reuters_newswires import vectorize_sequences as reuters_vectorize


@pytest.mark.parametrize("vectorize", [vectorize_sequences, reuters_vectorize])
def test_vectorize_sequences_multi_hot(vectorize):
    out = vectorize([[1, 3, 3], [0], []], dimension=5)
    assert out.shape == (3, 5) and out.dtype == np.float32
    assert out.tolist() == [[0, 1, 0, 1, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]]


def test_to_one_hot_equals_to_categorical():
    labels = np.array([0, 45, 3, 3, 17])
    assert np.array_equal(to_one_hot(labels), keras.utils.to_categorical(labels, 46))
    assert to_one_hot(labels).shape == (5, 46)


def test_normalize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train, test = rng.normal(3, 2, (50, 4)), rng.normal(-10, 9, (20, 4))
    train_n, test_n = normalize(train, test)
    assert np.allclose(train_n.mean(axis=0), 0) and np.allclose(train_n.std(axis=0), 1)
    assert np.allclose(test_n, (test - train.mean(axis=0)) / train.std(axis=0))
    # changing the test data must not change how the training data is normalized
    train_n2, _ = normalize(train, test * 100)
    assert np.array_equal(train_n, train_n2)


def test_k_fold_partitions_cover_every_sample_once():
    for n, k in ((404, 4), (10, 4), (7, 3)):
        folds = list(k_fold_indices(n, k))
        assert len(folds) == k
        validated = np.concatenate([val for _, val in folds])
        assert sorted(validated.tolist()) == list(range(n))
        for train_idx, val_idx in folds:
            assert not set(train_idx) & set(val_idx)
            assert len(train_idx) + len(val_idx) == n


def test_imdb_binary_classification_smoke(tiny_data, out_dir):
    result = imdb_binary_classification.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["best_val_epoch"] == 1 + int(np.argmax(m["history"]["val_accuracy"]))
    assert set(m["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert (out_dir / "chapter03" / "imdb_binary_classification.smoke_curves.png").exists()
    assert {s["what"] for s in result["data"]} >= {"IMDB raw reviews (aclImdb)", "IMDB word index"}


def test_reuters_smoke(tiny_data, out_dir):
    result = reuters_newswires.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["to_one_hot_equals_to_categorical"] and m["prediction_rows_sum_to_1"]
    assert m["random_baseline"] < 0.2 and math.isfinite(m["test_loss"])  # 46 classes


def test_boston_smoke(tiny_data, out_dir):
    result = boston_housing_kfold.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert len(m["fold_val_mae"]) == 4 and np.isclose(m["mean_val_mae"], np.mean(m["fold_val_mae"]))
    assert all(math.isfinite(v) and v > 0 for v in m["fold_val_mae"])
    assert (out_dir / "chapter03" / "boston_housing_kfold.smoke_val_mae.png").exists()


@pytest.mark.parametrize(
    "module, units, activations, loss",
    [
        (
            imdb_binary_classification,
            [16, 16, 1],
            ["relu", "relu", "sigmoid"],
            "binary_crossentropy",
        ),
        (reuters_newswires, [64, 64, 46], ["relu", "relu", "softmax"], "categorical_crossentropy"),
    ],
)
def test_chapter3_classifiers_are_the_books(module, units, activations, loss):
    model = module.build_model()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"] * 3
    assert [layer.units for layer in model.layers] == units
    assert [layer.activation.__name__ for layer in model.layers] == activations
    assert model.input_shape == (None, 10000)
    assert type(model.optimizer).__name__ == "RMSprop" and model.loss == loss


def test_reuters_bottleneck_squeezes_through_four_units():
    model = reuters_newswires.build_model(middle_units=4)
    assert [layer.units for layer in model.layers] == [64, 4, 46]


def test_boston_model_is_the_books():
    model = boston_housing_kfold.build_model(13)
    assert [layer.units for layer in model.layers] == [64, 64, 1]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "relu", "linear"]
    assert type(model.optimizer).__name__ == "RMSprop" and model.loss == "mse"


@pytest.mark.parametrize(
    "build, params",
    [
        # the notebooks print no summary in chapter 3: the counts the listings imply
        (imdb_binary_classification.build_model, 10000 * 16 + 16 + 16 * 16 + 16 + 16 + 1),  # 3.5
        (reuters_newswires.build_model, 10000 * 64 + 64 + 64 * 64 + 64 + 64 * 46 + 46),  # 3.6
        (lambda: boston_housing_kfold.build_model(13), 13 * 64 + 64 + 64 * 64 + 64 + 65),  # 3.7
    ],
)
def test_chapter3_parameter_counts_are_the_listings(build, params):
    assert build().count_params() == params
