"""Predicting house prices: Boston housing regression with K-fold validation.

Deep Learning with Python, section 3.6. Loads the Boston housing prices (404 training, 102 test
samples, 13 features), normalizes every feature with the mean and standard deviation of the
training data only (`normalize`), and evaluates a Dense(64) -> Dense(64) -> Dense(1) regressor
(mse loss, MAE metric) with K-fold validation, k = 4: each fold trains a fresh model on three
quarters and scores the remaining quarter; the average of the four MAEs is the estimate. The
book then runs the K-fold again for 500 epochs to plot the mean per-epoch validation MAE
(smoothed, first 10 epochs dropped): `full` does that too; `quick` plots its 100-epoch folds.
Finally, as in the book, a model is trained on all training data (80 epochs, batch 16) and scored
on the test set.

Book (100 epochs, batch 1): fold MAE [2.08, 2.12, 2.91, 2.43], mean 2.38; test MAE 2.55
(in thousands of dollars).

Run:  python chapter03/boston_housing_kfold.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure

from dlwp import flags, results
from dlwp.data import boston_housing
from dlwp.history import smooth_curve
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 2, "batch_size": 16, "final_epochs": 2, "curve_epochs": None},
    # batch 16 instead of the book's batch 1: 16x fewer steps, about the same MAE
    "quick": {"epochs": 100, "batch_size": 16, "final_epochs": 80, "curve_epochs": None},
    "full": {"epochs": 100, "batch_size": 1, "final_epochs": 80, "curve_epochs": 500},
}
BOOK = {
    "mean_val_mae": 2.3838,  # 3.7 cell 19: np.mean(all_scores) = 2.3837935992396706
    "fold_val_mae": [2.0751, 2.1172, 2.914, 2.4288],  # 3.7 cell 18: all_scores
    "test_mae": 2.5532,  # 3.7 cell 31: test_mae_score = 2.5532484335057877
}
K = 4


def normalize(train_data, test_data):
    """Feature-wise standardization with statistics of the training data only."""
    mean = train_data.mean(axis=0)
    std = train_data.std(axis=0)
    return (train_data - mean) / std, (test_data - mean) / std


def k_fold_indices(num_samples, k):
    """For each of k folds: (training indices, validation indices); each sample validates once."""
    folds = np.array_split(np.arange(num_samples), k)
    for i in range(k):
        train_idx = np.concatenate([f for j, f in enumerate(folds) if j != i])
        yield train_idx, folds[i]


def build_model(num_features):
    model = keras.Sequential(
        [
            keras.Input(shape=(num_features,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(1),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="mse",
        metrics=["mae"],
    )
    return model


def plot_val_mae(mean_mae_per_epoch):
    """The curve as the book plots it: the mean validation MAE per epoch, smoothed, without the
    first 10 epochs. Those are dropped only when more epochs follow (a run of 10 or fewer, like
    the smoke profile's, would otherwise plot an empty figure)."""
    skip = 10 if len(mean_mae_per_epoch) > 10 else 0
    curve = smooth_curve(mean_mae_per_epoch[skip:], factor=0.9)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.plot(range(skip + 1, skip + 1 + len(curve)), curve)
    ax.set(xlabel="Epochs", ylabel="Validation MAE (mean of 4 folds, smoothed)")
    return fig


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--batch-size", type=flags.positive_int, help="k-fold training batch size")
    parser.add_argument("--final-epochs", type=flags.positive_int, help="epochs of the final model")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Boston housing, 4-fold validation", BOOK)

    # Data
    (train_data, train_targets), (test_data, test_targets) = boston_housing.load_data(args.folders)
    train_data, test_data = normalize(train_data, test_data)

    def k_fold(epochs):
        """The book's K-fold loop: each fold's final validation MAE and per-epoch history."""
        scores, histories = [], []
        for i, (train_idx, val_idx) in enumerate(k_fold_indices(len(train_data), K)):
            print(f"processing fold #{i} ({epochs} epochs)")
            model = build_model(train_data.shape[1])
            history = model.fit(
                train_data[train_idx],
                train_targets[train_idx],
                validation_data=(train_data[val_idx], train_targets[val_idx]),
                epochs=epochs,
                batch_size=args.batch_size,
                verbose=0,
            )
            _, val_mae = model.evaluate(train_data[val_idx], train_targets[val_idx], verbose=0)
            scores.append(val_mae)
            histories.append(history.history["val_mae"])
        return scores, np.mean(histories, axis=0)

    # K-fold validation
    fold_mae, mean_mae_per_epoch = k_fold(args.epochs)
    print(f"fold MAE {np.round(fold_mae, 2).tolist()}, mean {np.mean(fold_mae):.3f}")
    if args.curve_epochs:  # the book's second, longer K-fold, for the curve only
        _, mean_mae_per_epoch = k_fold(args.curve_epochs)

    run.save_figure(plot_val_mae(mean_mae_per_epoch), "_val_mae.png")

    # Final model on all training data, scored on the test set
    model = build_model(train_data.shape[1])
    model.fit(train_data, train_targets, epochs=args.final_epochs, batch_size=16, verbose=0)
    test_mse, test_mae = model.evaluate(test_data, test_targets, verbose=0)
    print(f"test MAE {test_mae:.3f}")

    return run.finish(
        {
            "mean_val_mae": float(np.mean(fold_mae)),
            "fold_val_mae": fold_mae,
            "test_mae": test_mae,
            "test_mse": test_mse,
            "best_epoch_mean_val_mae": int(np.argmin(mean_mae_per_epoch)) + 1,
        }
    )


if __name__ == "__main__":
    flags.run(main)
