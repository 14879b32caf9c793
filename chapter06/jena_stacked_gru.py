"""Jena climate: two stacked GRU layers with dropout and recurrent dropout.

Deep Learning with Python, section 6.3.7 (notebook 6.3, cell 38). Same data and generators as
jena_gru; GRU(32, dropout=0.1, recurrent_dropout=0.5, return_sequences=True), then GRU(64,
activation="relu", dropout=0.1, recurrent_dropout=0.5) and Dense(1) (23,201 parameters, as in
the book); RMSprop on the MAE, 500 steps per epoch, 40 epochs (dropout-regularized networks
converge more slowly). Dropout fights jena_gru's overfitting; the extra layer adds capacity.

Book: validation MAE best 0.2633 at epoch 16 (0.2634 at epoch 14), 0.2782 after epoch 40
(notebook 6.3, cell 38): no real overfitting, and only a small gain over GRU(32).

Run:  python chapter06/jena_stacked_gru.py [--profile smoke|quick|full] [--recurrent-dropout R]
Data: datasets/jena_climate_2009_2016.csv (see jena_generator.py). It was not available here,
so the quick profile is untested on the real series (RESULTS.md says "not measured").
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
from keras import layers

from dlwp import flags, jena_series, results
from dlwp.data import jena
from dlwp.errors import UserError
from dlwp.history import curves
from dlwp.jena_series import BOOK_SETTINGS, SMOKE_SETTINGS
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {
        "epochs": 1,
        "steps_per_epoch": 3,
        "val_steps": 2,
        "recurrent_dropout": 0.5,
        **SMOKE_SETTINGS,
    },
    # quick: ~0.34 s per training step here: 4 x 150 steps + validation, ~4-5 min. Measured (2
    # cores, TF 2.21, a synthetic 420,551 x 14 array; benchmarks/recurrent_dropout_cost.py): 113 s
    # per 500-step epoch with recurrent_dropout=0, 172 s with 0.5 (1.5x: no fused cuDNN kernel on
    # a GPU, one matmul per gate on a CPU); timed with reset_after=True, before it was set False
    "quick": {
        "epochs": 4,
        "steps_per_epoch": 150,
        "val_steps": 150,
        "recurrent_dropout": 0.5,
        **BOOK_SETTINGS,
    },
    "full": {  # notebook 6.3 cells 17 and 38 (val_steps None: all 769 validation batches)
        "epochs": 40,
        "steps_per_epoch": 500,
        "val_steps": None,
        "recurrent_dropout": 0.5,
        **BOOK_SETTINGS,
    },
}
BOOK = {  # notebook 6.3, cell 38: 40 epochs, val_loss (the MAE) best 0.2633 at epoch 16
    "best_val_mae": 0.2633,
    "best_val_epoch": 16,
}


def build_model(num_features, recurrent_dropout=0.5):
    model = keras.Sequential(
        [
            keras.Input(shape=(None, num_features)),
            layers.GRU(
                32,
                dropout=0.1,
                recurrent_dropout=recurrent_dropout,
                return_sequences=True,
                reset_after=False,  # Keras 2's GRU: 23,201 parameters (Keras 3's default: 23,489)
            ),
            layers.GRU(
                64,
                activation="relu",
                dropout=0.1,
                recurrent_dropout=recurrent_dropout,
                reset_after=False,
            ),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON), loss="mae")
    return model


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--steps-per-epoch", type=flags.positive_int, help="training batches/epoch")
    parser.add_argument("--val-steps", type=flags.positive_int, help="validation batches per epoch")
    parser.add_argument(
        "--recurrent-dropout", type=float, help="recurrent_dropout of both GRUs (book: 0.5)"
    )
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    if not 0 <= args.recurrent_dropout < 1:
        raise UserError(
            f"--recurrent-dropout {args.recurrent_dropout}: not a dropout rate",
            "give a value in [0, 1)",
        )
    run = results.Run(__file__, args, "Jena climate, stacked GRUs with dropout", BOOK)

    # Data: parse, normalize with the training rows' statistics, the book's generators
    _, float_data = jena.load(args.folders)
    series, _, std = jena_series.normalize(float_data, args.train_end)
    gens = jena_series.book_generators(series, **jena_series.settings(args))
    train_gen, val_gen, val_steps = gens.train, gens.val, gens.val_steps
    val_steps = min(val_steps, args.val_steps or val_steps)

    # Model + train
    model = build_model(series.shape[-1], args.recurrent_dropout)
    history = model.fit(
        train_gen,
        steps_per_epoch=args.steps_per_epoch,
        epochs=args.epochs,
        validation_data=val_gen,
        validation_steps=val_steps,
        shuffle=False,  # the generator draws random rows itself
        verbose=2,
    )
    run.save_figure(curves(history, ("loss",), "Stacked GRUs with dropout, MAE"), "_mae.png")
    return run.finish({**jena_series.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
