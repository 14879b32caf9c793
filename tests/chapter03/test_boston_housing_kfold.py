"""Chapter 3, Boston housing: 4-fold validation of a regressor on features normalised with the
training rows' statistics, a longer k-fold for the curve, then a final model trained on all
training rows and scored on the test rows. What reaches Keras is checked against the npz file
read here (Keras' seed-113 shuffle and 80/20 cut), and the book's arithmetic against NumPy."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from support import own_calls, run_once, smoke_args

from chapter03 import boston_housing_kfold
from chapter03.boston_housing_kfold import k_fold_indices, normalize, plot_val_mae

K = 4
SMOKE = boston_housing_kfold.PROFILES["smoke"]
# Each phase gets its own setting, so a phase that takes the other's shows: the k-fold's epochs
# (the profile's) and batch size (given here) are not the final model's (given here; its batch
# of 16 is the book's listing 3.28). The smoke profile has no second, longer k-fold for the
# curve (4 more models: too slow for the suite); the curve is then the k-fold's.
BATCH, FINAL_EPOCHS, FINAL_BATCH = 8, 4, 16
assert SMOKE["epochs"] != FINAL_EPOCHS and BATCH != FINAL_BATCH and SMOKE["curve_epochs"] is None


@pytest.fixture(scope="module")
def boston(tiny_data, test_cache, tmp_path_factory):
    """One run of the script for the whole file: its result, what reached Keras, its figures."""
    out = tmp_path_factory.mktemp("boston") / "results"
    extra = ("--batch-size", str(BATCH), "--final-epochs", str(FINAL_EPOCHS))
    run = run_once(boston_housing_kfold.main, smoke_args(tiny_data, out, *extra), test_cache)
    run.out = out
    return run


@pytest.fixture(scope="module")
def split(tiny_data):
    """The npz read here: Keras' seed-113 shuffle, the first 80% for training, the rest for test;
    both normalised with the training rows' feature-wise mean and standard deviation."""
    f = np.load(tiny_data / "datasets" / "boston_housing.npz")
    order = np.arange(len(f["x"]))
    np.random.RandomState(113).shuffle(order)
    cut = int(len(order) * 0.8)
    x_train, x_test = f["x"][order[:cut]], f["x"][order[cut:]]
    mean = x_train.sum(axis=0) / len(x_train)
    std = np.sqrt(((x_train - mean) ** 2).sum(axis=0) / len(x_train))
    assert len(x_train) % K == 0  # quarters of equal size, as in the book's loop
    return SimpleNamespace(
        x_train=(x_train - mean) / std,
        y_train=f["y"][order[:cut]],
        x_test=(x_test - mean) / std,
        y_test=f["y"][order[cut:]],
        quarter=len(x_train) // K,
    )


def rows_of(rows, reference, what):
    """Each of `rows`' index in `reference` (the nearest row; it must match to rounding)."""
    rows = np.asarray(rows, dtype="float64")
    distance = np.abs(rows[:, None, :] - reference[None, :, :]).max(axis=2)
    idx = distance.argmin(axis=1)
    worst = distance[np.arange(len(rows)), idx].max()
    assert worst < 1e-6, f"{what}: a row is {worst} away from every expected row"
    return idx


def held_out(split, fold):
    return np.arange(fold * split.quarter, (fold + 1) * split.quarter)


def numpy_mae(model, x, y):
    return float(np.mean(np.abs(np.asarray(model(x, training=False)).reshape(-1) - y)))


def ema(points, factor):
    """The book's smoothing as a weighted sum: s_t = f^t p_0 + sum_{k>=1} (1-f) f^(t-k) p_k."""
    p = np.asarray(points, dtype="float64")
    out = []
    for t in range(len(p)):
        weights = (1 - factor) * factor ** (t - np.arange(t + 1))
        weights[0] = factor**t
        out.append(float(weights @ p[: t + 1]))
    return np.array(out)


# -- the smoke run ----------------------------------------------------------------------------


def test_boston_smoke(boston):
    m = boston.metrics
    assert len(m["fold_val_mae"]) == 4 and np.isclose(m["mean_val_mae"], np.mean(m["fold_val_mae"]))
    assert all(math.isfinite(v) and v > 0 for v in m["fold_val_mae"])
    assert (boston.out / "chapter03" / "boston_housing_kfold.smoke_val_mae.png").exists()


def test_boston_phases_reaching_keras(boston):
    # the k-fold (4 fits, each scored), then the final model
    assert len(boston.calls.of("fit")) == K + 1
    assert len(own_calls(boston.calls.of("evaluate"))) == K + 1
    assert not boston.calls.of("predict")
    fits = boston.calls.of("fit")
    assert len({id(c.model) for c in fits}) == len(fits)  # a fresh model for every fold


# -- which rows, which targets, prepared how ------------------------------------------------


@pytest.mark.parametrize("fold", range(K))
def test_boston_each_fold_validates_on_its_own_quarter(boston, split, fold):
    fit, evaluate = boston.calls.of("fit")[fold], own_calls(boston.calls.of("evaluate"))[fold]
    held = held_out(split, fold)
    rest = np.setdiff1d(np.arange(len(split.x_train)), held)
    trained = rows_of(fit.x, split.x_train, "fold training rows")
    x_val, y_val = fit.validation_data
    validated = rows_of(x_val, split.x_train, "fold validation rows")
    scored = rows_of(evaluate.x, split.x_train, "fold scored rows")
    # trains on the three other quarters, each row once; validates and scores on its own
    assert sorted(trained.tolist()) == rest.tolist()
    assert sorted(validated.tolist()) == held.tolist()
    assert sorted(scored.tolist()) == held.tolist()
    assert not set(trained.tolist()) & set(held.tolist())
    # each target is its own row's
    assert np.array_equal(fit.y, split.y_train[trained])
    assert np.array_equal(y_val, split.y_train[validated])
    assert np.array_equal(evaluate.y, split.y_train[scored])
    assert evaluate.model is fit.model  # the fold's score is the fold's own model's


def test_boston_final_model_trains_on_all_training_rows_and_scores_the_test_rows(boston, split):
    fit, evaluate = boston.calls.of("fit")[-1], own_calls(boston.calls.of("evaluate"))[-1]
    trained = rows_of(fit.x, split.x_train, "final training rows")
    assert sorted(trained.tolist()) == list(range(len(split.x_train)))
    assert np.array_equal(fit.y, split.y_train[trained])
    assert fit.args.get("validation_data") is None
    tested = rows_of(evaluate.x, split.x_test, "test rows")
    assert sorted(tested.tolist()) == list(range(len(split.x_test)))
    assert np.array_equal(evaluate.y, split.y_test[tested])
    assert evaluate.model is fit.model


def test_boston_normalised_with_training_statistics_only(boston, split):
    fit, evaluate = boston.calls.of("fit")[-1], own_calls(boston.calls.of("evaluate"))[-1]
    # the training rows come out standardised feature by feature ...
    assert np.allclose(fit.x.mean(axis=0), 0, atol=1e-9)
    assert np.allclose(fit.x.std(axis=0), 1)
    # ... and the test rows with the same (training) mean and std, not their own: in the
    # order they reached Keras, each equals its raw row shifted and scaled by those
    tested = rows_of(evaluate.x, split.x_test, "test rows")
    assert np.allclose(evaluate.x, split.x_test[tested], atol=1e-9)
    assert not np.allclose(evaluate.x.mean(axis=0), 0, atol=0.05)


# -- settings, phase by phase -----------------------------------------------------------------


def test_boston_settings_per_phase(boston):
    fits = boston.calls.of("fit")
    phases = [(SMOKE["epochs"], BATCH)] * K + [(FINAL_EPOCHS, FINAL_BATCH)]
    assert [(c.epochs, c.batch_size) for c in fits] == phases
    assert all(c.learning_rate == pytest.approx(0.001) for c in fits)  # RMSprop's default


def test_boston_profiles_are_the_documented_ones():
    profiles = boston_housing_kfold.PROFILES
    # the book: 100 epochs at batch 1 per fold, 500 for the curve, 80 for the final model
    assert profiles["full"] == {
        "epochs": 100,
        "batch_size": 1,
        "final_epochs": 80,
        "curve_epochs": 500,
    }
    assert profiles["quick"] == {
        "epochs": 100,
        "batch_size": 16,
        "final_epochs": 80,
        "curve_epochs": None,
    }
    args = boston_housing_kfold.parse_args(["--profile", "full", "--data-dir", "."])
    assert (args.epochs, args.batch_size, args.final_epochs, args.curve_epochs) == (100, 1, 80, 500)


# -- the arithmetic, against NumPy --------------------------------------------------------------


def test_boston_fold_scores_are_each_fold_models_mae_on_its_quarter(boston, split):
    fits = boston.calls.of("fit")[:K]
    expected = [
        numpy_mae(fit.model, split.x_train[held_out(split, i)], split.y_train[held_out(split, i)])
        for i, fit in enumerate(fits)
    ]
    assert boston.metrics["fold_val_mae"] == pytest.approx(expected, rel=1e-4)
    assert boston.metrics["mean_val_mae"] == pytest.approx(sum(expected) / K, rel=1e-4)


def test_boston_test_scores_are_the_final_models(boston, split):
    model = boston.calls.of("fit")[-1].model
    predicted = np.asarray(model(split.x_test, training=False)).reshape(-1)
    errors = predicted - split.y_test
    assert boston.metrics["test_mae"] == pytest.approx(np.abs(errors).mean(), rel=1e-4)
    assert boston.metrics["test_mse"] == pytest.approx((errors**2).mean(), rel=1e-4)


def test_boston_curve_is_the_smoothed_mean_of_the_folds(boston):
    # per epoch, the mean of the 4 folds' validation MAE, then smoothed
    histories = np.array([c.model.history.history["val_mae"] for c in boston.calls.of("fit")[:K]])
    assert histories.shape == (K, SMOKE["epochs"])
    mean_per_epoch = histories.sum(axis=0) / K
    [fig] = boston.figures
    [line] = fig.axes[0].lines
    # a run of 10 epochs or fewer keeps them all: the figure is not empty
    assert list(line.get_xdata()) == list(range(1, SMOKE["epochs"] + 1))
    assert np.allclose(line.get_ydata(), ema(mean_per_epoch, 0.9))
    assert boston.metrics["best_epoch_mean_val_mae"] == 1 + int(np.argmin(mean_per_epoch))


@pytest.mark.parametrize("epochs", [2, 10, 11, 15])
def test_boston_curve_drops_the_first_10_epochs_only_when_more_follow(epochs):
    points = np.array([9.0, 7.5, 8.25, 3.0, 5.5, 1.0, 4.0, 2.5, 6.0, 0.5, 3.5, 2.0, 7.0, 1.5, 4.5])
    points = points[:epochs]
    skip = 10 if epochs > 10 else 0
    [line] = plot_val_mae(points).axes[0].lines
    assert list(line.get_xdata()) == list(range(skip + 1, epochs + 1))
    assert np.allclose(line.get_ydata(), ema(points[skip:], 0.9))


def test_normalize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    # features on different scales, test rows from elsewhere: a wrong axis or wrong rows show
    scales = np.array([0.01, 1.0, 100.0, 5.0])
    train = rng.normal(3, 2, (50, 4)) * scales
    test = rng.normal(-10, 9, (20, 4)) * scales
    train_n, test_n = normalize(train, test)
    mean = train.sum(axis=0) / len(train)
    std = np.sqrt(((train - mean) ** 2).sum(axis=0) / len(train))
    assert np.allclose(train_n, (train - mean) / std)
    assert np.allclose(test_n, (test - mean) / std)
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


def test_k_fold_folds_are_the_books_quarters():
    # the book's loop: fold i validates on samples [i*101, (i+1)*101) of 404, trains on the rest
    for i, (train_idx, val_idx) in enumerate(k_fold_indices(404, 4)):
        assert val_idx.tolist() == list(range(i * 101, (i + 1) * 101))
        assert train_idx.tolist() == list(range(0, i * 101)) + list(range((i + 1) * 101, 404))


def test_boston_model_is_the_books():
    model = boston_housing_kfold.build_model(13)
    assert [layer.units for layer in model.layers] == [64, 64, 1]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "relu", "linear"]
    assert type(model.optimizer).__name__ == "RMSprop" and model.loss == "mse"
    assert model.count_params() == 13 * 64 + 64 + 64 * 64 + 64 + 65  # listing 3.7's
