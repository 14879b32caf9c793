"""Jena climate: a first recurrent baseline, GRU(32), predicting the temperature 24 hours ahead.

Deep Learning with Python, section 6.3.5 (notebook 6.3, cell 29). The normalized Jena series goes
through the book's generators (jena_generator.py: 10 days of history, one row per hour, target
24 hours later); GRU(32) then Dense(1) (4,545 parameters, as in the book), trained with RMSprop
on the mean absolute error, 500 steps of 128 samples per epoch, 20 epochs, validated on the 2nd
range of the series (val_steps = 769 batches, all of it) against the common-sense baseline (0.2897).

Book: validation MAE best 0.2644 at epoch 6 (about 2.35 degC, markdown cell 32), 0.3034 after
epoch 20 (notebook 6.3, cell 29): it beats the baseline, then overfits.

Run:  python chapter06/jena_gru.py [--profile smoke|quick|full]
Data: datasets/jena_climate_2009_2016.csv (see jena_generator.py). It was not available here,
so the quick profile is untested on the real series (RESULTS.md says "not measured").
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
from keras import layers

from dlwp import flags, jena_series, results
from dlwp.data import jena
from dlwp.history import curves
from dlwp.jena_series import BOOK_SETTINGS, SMOKE_SETTINGS
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

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
            # reset_after=False: Keras 2's GRU, one bias per gate (Keras 3's default: 4,641
            # parameters). cuDNN implements only reset_after=True: on a GPU this runs Keras' loop.
            layers.GRU(32, reset_after=False),
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
    series, _, std = jena_series.normalize(float_data, args.train_end)
    gens = jena_series.book_generators(series, **jena_series.settings(args))
    train_gen, val_gen, val_steps = gens.train, gens.val, gens.val_steps
    val_steps = min(val_steps, args.val_steps or val_steps)

    # Model
    model = build_model(series.shape[-1])

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
    return run.finish({**jena_series.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
