"""Jena climate: a first recurrent baseline, GRU(32), predicting the temperature 24 hours ahead.

Deep Learning with Python, section 6.3.5 (notebook 6.3, cell 29). The normalized Jena series goes
through the book's generators (`dlwp.timeseries.book_generators`; chapter06/jena_generator.py
presents them: 10 days of history, one row per hour, target 24 hours later); a GRU(32) followed
by Dense(1) is trained with RMSprop on the mean absolute error, 500 steps of 128 samples per
epoch, 20 epochs, validated on the 2nd range of the series (val_steps = 769 batches, all of it).
The validation MAE is compared with the common-sense baseline (0.2897).

Book (notebook 6.3, cell 29): validation MAE best 0.2644 at epoch 6 (about 2.35 degC, markdown
cell 32), 0.3034 after epoch 20: it beats the baseline, then overfits.

The quick profile (fewer, shorter epochs) is untested on the real series: the Jena CSV was not
available where this was written, so RESULTS.md says "not measured"; the tests run the script on
a small CSV in the same format.

Keras 2 -> 3: `fit_generator(train_gen, steps_per_epoch=500, ...)`
-> `fit(train_gen, steps_per_epoch=500, ...)` with the same Python generator; `RMSprop()`
-> `RMSprop(epsilon=KERAS2_RMSPROP_EPSILON)` (Keras 2.0.8's step, dlwp.optimizers); the input shape
`(None, float_data.shape[-1])` goes to `keras.Input`. The GRU is Keras 2's: `reset_after=False` (the
reset gate applied before the recurrent matmul, one bias per gate), so the model has the book's
4,545 parameters (Keras 3's default `reset_after=True` adds a second bias per gate: 4,641); cuDNN
implements only `reset_after=True`, so on a GPU this GRU runs Keras' own loop. Known, deliberate
differences: the gates use Keras 3's default `recurrent_activation="sigmoid"`, where Keras 2.0.8's
default was `"hard_sigmoid"` (clip(0.2 x + 0.5, 0, 1); Keras 3's "hard_sigmoid" is another function,
relu6(x + 3) / 6). RMSprop is the book's: `epsilon=1e-16` inside the root is Keras 2.0.8's 1e-8
outside it (dlwp.optimizers).

Data: datasets/jena_climate_2009_2016.csv (see chapter06/jena_generator.py).

Run:  python chapter06/jena_gru.py [--profile smoke|quick|full]
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
    # full: notebook 6.3 cells 17 and 29 (val_steps None: all 769 validation batches)
    "full": {"epochs": 20, "steps_per_epoch": 500, "val_steps": None, **BOOK_SETTINGS},
}
BOOK = {  # notebook 6.3, cell 29: 20 epochs, val_loss (the MAE) best 0.2644 at epoch 6
    "best_val_mae": 0.2644,
    "best_val_epoch": 6,
}


def build_model(num_features):
    """The book's model, compiled; input: sequences of `num_features` measurements."""
    model = keras.Sequential(
        [
            keras.Input(shape=(None, num_features)),
            layers.GRU(32, reset_after=False),  # Keras 2's GRU (see the docstring)
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
    run = results.Run(__file__, args, "Jena climate, GRU(32)", BOOK)

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
    run.save_figure(curves(history, ("loss",), "GRU(32), MAE"), "_mae.png")
    return run.finish({**timeseries.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
