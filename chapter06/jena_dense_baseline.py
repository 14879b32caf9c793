"""Jena climate: a basic machine-learning approach, a small densely connected network.

Deep Learning with Python, section 6.3.4 (notebook 6.3, cell 24). Before any recurrent network,
the book tries a cheap model on the same data and generators as jena_gru (10 days of history,
one row per hour, target 24 hours later): Flatten turns each sample of 240 timesteps x 14
measurements into 3,360 numbers, then Dense(32, relu) and Dense(1); RMSprop on the MAE, 500
steps of 128 samples per epoch, 20 epochs. Without the notion of time, it does not find the
common-sense solution (MAE 0.29, jena_generator): its validation MAE stays around it or worse.

Book: validation MAE best 0.2994 at epoch 2, 0.3545 after epoch 20 (notebook 6.3, cell 24).

Run:  python chapter06/jena_dense_baseline.py [--profile smoke|quick|full]
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
    # full: notebook 6.3, cells 17 (generators) and 24 (epochs=20, steps_per_epoch=500)
    "full": {"epochs": 20, "steps_per_epoch": 500, "val_steps": None, **BOOK_SETTINGS},
}
BOOK = {
    "best_val_mae": 0.2994,  # notebook 6.3, cell 24: val_loss of epoch 2
    "best_val_epoch": 2,  # cell 24
    "final_val_mae": 0.3545,  # cell 24: epoch 20's line
}


def build_model(timesteps, num_features):
    """The book's model (cell 24), compiled; input: `timesteps` rows of `num_features`."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, num_features)),  # Keras 2: Flatten(input_shape=...)
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
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
    run = results.Run(__file__, args, "Jena climate, Flatten + Dense(32)", BOOK)

    # Data: parse, normalize with the training rows' statistics, the book's generators
    _, float_data = jena.load(args.folders)
    series, _, std = jena_series.normalize(float_data, args.train_end)
    gens = jena_series.book_generators(series, **jena_series.settings(args))
    train_gen, val_gen, val_steps = gens.train, gens.val, gens.val_steps
    val_steps = min(val_steps, args.val_steps or val_steps)

    # Model: a sample is lookback // step rows (240 in the book)
    model = build_model(args.lookback // args.step, series.shape[-1])

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
    run.save_figure(curves(history, ("loss",), "Flatten + Dense(32), MAE"), "_mae.png")
    return run.finish({**jena_series.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
