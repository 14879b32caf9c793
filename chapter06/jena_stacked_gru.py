"""Jena climate: two stacked GRU layers with dropout and recurrent dropout.

Deep Learning with Python, section 6.3.7 (notebook 6.3, cell 38). Same data and generators as
jena_gru; the model stacks GRU(32, dropout=0.1, recurrent_dropout=0.5, return_sequences=True)
and GRU(64, activation="relu", dropout=0.1, recurrent_dropout=0.5) before Dense(1), trained with
RMSprop on the MAE, 500 steps per epoch, 40 epochs (dropout-regularized networks take longer to
converge). Dropout fights the overfitting of jena_gru; the extra layer adds capacity.

Book (notebook 6.3, cell 38): validation MAE best 0.2633 at epoch 16 (0.2634 at epoch 14), 0.2782
after epoch 40: no real overfitting, and only a small gain over GRU(32).

Recurrent dropout and speed: a GRU with `recurrent_dropout > 0` cannot use the fused cuDNN kernel
on a GPU (Keras falls back to its step-by-step loop), and on the CPU it also switches the cell
from its fused gate matmul (`implementation=2`) to one matmul per gate (`implementation=1`).
Measured here (2 CPU cores, TensorFlow 2.21, this model, batch 128, 240 timesteps, on a synthetic
array of the Jena shape 420,551 x 14; benchmarks/recurrent_dropout_cost.py):
113 s per 500-step epoch with `recurrent_dropout=0` and 172 s with 0.5, i.e. 1.5x the time
(training steps only; the validation pass, without dropout, costs the same in both). Those
timings are of Keras 3's default GRU (`reset_after=True`), measured before the model was set to
Keras 2's `reset_after=False`.

The quick profile (fewer, shorter epochs) is untested on the real series: the Jena CSV was not
available where this was written, so RESULTS.md says "not measured"; the tests run the script on
a small CSV in the same format.

Keras 2 -> 3: `fit_generator` -> `fit` with the same Python generator; `input_shape=` on the first
layer -> `keras.Input`. Both GRUs are Keras 2's: `reset_after=False` (the reset gate applied before
the recurrent matmul, one bias per gate), so the model has the book's 23,201 parameters (Keras 3's
default `reset_after=True` adds a second bias per gate: 23,489). Known, deliberate differences: the
gates use Keras 3's default `recurrent_activation="sigmoid"`, where Keras 2.0.8's default was
`"hard_sigmoid"` (clip(0.2 x + 0.5, 0, 1); Keras 3's "hard_sigmoid" is another function,
relu6(x + 3) / 6). RMSprop is the book's: `epsilon=1e-16` inside the root is Keras 2.0.8's 1e-8
outside it (dlwp.optimizers).

Data: datasets/jena_climate_2009_2016.csv (see chapter06/jena_generator.py).

Run:  python chapter06/jena_stacked_gru.py [--profile smoke|quick|full]
"""

import keras
from keras import layers

from dlwp import flags, results, timeseries
from dlwp.data import jena
from dlwp.errors import UserError
from dlwp.history import curves
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON
from dlwp.timeseries import BOOK_SETTINGS, SMOKE_SETTINGS

PROFILES = {
    "smoke": {
        "epochs": 1,
        "steps_per_epoch": 3,
        "val_steps": 2,
        "recurrent_dropout": 0.5,
        **SMOKE_SETTINGS,
    },
    # quick: ~0.34 s per training step here (see above): 4 x 150 steps + validation, ~4-5 min
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
                reset_after=False,  # Keras 2's GRU (see the docstring)
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
    data, _, std = timeseries.normalize(float_data, args.train_end)
    train_gen, val_gen, _, val_steps, _ = timeseries.book_generators(
        data, **timeseries.settings(args)
    )
    val_steps = min(val_steps, args.val_steps or val_steps)

    # Model + train
    model = build_model(data.shape[-1], args.recurrent_dropout)
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
    return run.finish({**timeseries.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
