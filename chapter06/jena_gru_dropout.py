"""Jena climate: GRU(32) regularized with dropout and recurrent dropout.

Deep Learning with Python, section 6.3.6 (notebook 6.3, cell 34). The same data, generators and
training as jena_gru, whose validation MAE starts to climb after a few epochs: here the GRU drops
20% of its inputs (`dropout=0.2`) and 20% of its recurrent state (`recurrent_dropout=0.2`, the
same mask at every timestep, as Gal and Ghahramani showed an RNN needs). A regularized network
converges more slowly, so it trains for 40 epochs instead of 20. RMSprop, MAE, 500 steps of 128
samples per epoch. Dropout removes the overfitting of jena_gru (the validation MAE stays flat
for 40 epochs), but the best score is barely better: the network is now limited by capacity
(see jena_stacked_gru).

Book (notebook 6.3, cell 34): validation MAE best 0.2619 at epoch 33, 0.2719 after epoch 40.

Recurrent dropout and speed: with `recurrent_dropout > 0` Keras cannot use the fused cuDNN
kernel on a GPU, and on a CPU it switches the cell from its fused gate matmul to one matmul per
gate (measured for jena_stacked_gru: 1.5x the time per epoch).

The quick profile (fewer, shorter epochs, like jena_gru's) is untested on the real series: the
Jena CSV was not available where this was written, so RESULTS.md says "not measured"; the tests
run the script on a small CSV in the same format.

Keras 2 -> 3: `fit_generator` -> `fit` with the same Python generator; the input shape `(None,
float_data.shape[-1])` goes to `keras.Input`. The GRU is Keras 2's: `reset_after=False` (the
reset gate applied before the recurrent matmul, one bias per gate), so it has the same 4,512
weights as in the book (Keras 3's default `reset_after=True` has two biases per gate: 4,608).
Its gates use Keras 3's default `recurrent_activation="sigmoid"`; Keras 2.0.8's default was
`"hard_sigmoid"` (a piecewise-linear approximation).

Data: datasets/jena_climate_2009_2016.csv (see chapter06/jena_generator.py).

Run:  python chapter06/jena_gru_dropout.py [--profile smoke|quick|full]
"""

import keras
from keras import layers

from dlwp import flags, results, timeseries
from dlwp.data import jena
from dlwp.history import curves
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON
from dlwp.timeseries import BOOK_SETTINGS, SMOKE_SETTINGS

PROFILES = {
    "smoke": {"epochs": 1, "steps_per_epoch": 3, "val_steps": 2, **SMOKE_SETTINGS},
    # quick: fewer and shorter epochs on the book's data layout (validation on 200 batches)
    "quick": {"epochs": 5, "steps_per_epoch": 200, "val_steps": 200, **BOOK_SETTINGS},
    # full: notebook 6.3, cells 17 (generators) and 34 (epochs=40, steps_per_epoch=500)
    "full": {"epochs": 40, "steps_per_epoch": 500, "val_steps": None, **BOOK_SETTINGS},
}
BOOK = {
    "best_val_mae": 0.2619,  # notebook 6.3, cell 34: val_loss of epoch 33
    "best_val_epoch": 33,  # cell 34
    "final_val_mae": 0.2719,  # cell 34: epoch 40's line
}


def build_model(num_features):
    """The book's model (cell 34), compiled; input: sequences of `num_features` measurements."""
    model = keras.Sequential(
        [
            keras.Input(shape=(None, num_features)),
            layers.GRU(32, dropout=0.2, recurrent_dropout=0.2, reset_after=False),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON), loss="mae")
    return model


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--steps-per-epoch", type=flags.positive_int, help="training batches/epoch")
    parser.add_argument("--val-steps", type=flags.positive_int, help="validation batches per epoch")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Jena climate, GRU(32) with dropout", BOOK)

    # Data: parse, normalize with the training rows' statistics, the book's generators
    _, float_data = jena.load(args.folders)
    data, _, std = timeseries.normalize(float_data, args.train_end)
    train_gen, val_gen, _, val_steps, _ = timeseries.book_generators(
        data, **timeseries.settings(args)
    )
    val_steps = min(val_steps, args.val_steps or val_steps)

    # Model
    model = build_model(data.shape[-1])

    # Train
    history = model.fit(
        train_gen,
        steps_per_epoch=args.steps_per_epoch,
        epochs=args.epochs,
        validation_data=val_gen,
        validation_steps=val_steps,
        shuffle=False,  # the generator draws random rows itself
        verbose=2,
    )
    run.save_figure(curves(history, ("loss",), "GRU(32) with dropout, MAE"), "_mae.png")
    return run.finish({**timeseries.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
