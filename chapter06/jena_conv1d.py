"""Jena climate: a 1D convnet alone, three Conv1D(32, 5) layers and global max pooling.

Deep Learning with Python, section 6.4.4 (notebook 6.4, cells 8-9). The same data and generators
as jena_gru (10 days of history, one row per hour, target 24 hours later); three
Conv1D(32, 5, relu) layers with MaxPooling1D(3) between them, then GlobalMaxPooling1D and
Dense(1); RMSprop on the MAE, 500 steps of 128 samples per epoch, 20 epochs. It does worse than
the common-sense baseline (0.29): max pooling throws away where a pattern was, while a forecast
needs the recent timesteps most. This motivates jena_conv1d_gru.

Book: validation MAE best 0.4521 at epoch 1, 0.4821 after epoch 20 (notebook 6.4, cell 9; the
markdown of cell 12: "stays in the low 0.40s").

Run:  python chapter06/jena_conv1d.py [--profile smoke|quick|full]
Data: datasets/jena_climate_2009_2016.csv (see jena_generator.py). It was not available here,
so the quick profile is untested on the real series (RESULTS.md says "not measured").
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
from keras import layers

from dlwp import flags, jena_series, results
from dlwp.data import jena
from dlwp.history import curves
from dlwp.jena_series import BOOK_SETTINGS
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

# smoke: every row (step=1) of 72-row samples; three 5-wide convolutions and two poolings of 3
# need at least 61 timesteps
SMOKE = {"lookback": 72, "step": 1, "delay": 12, "batch_size": 16, "train_end": 500, "val_end": 800}
PROFILES = {
    "smoke": {"epochs": 1, "steps_per_epoch": 3, "val_steps": 2, **SMOKE},
    # quick: fewer and shorter epochs on the book's data layout (validation on 200 batches)
    "quick": {"epochs": 5, "steps_per_epoch": 200, "val_steps": 200, **BOOK_SETTINGS},
    # full: notebook 6.4, cells 8 (generators) and 9 (epochs=20, steps_per_epoch=500)
    "full": {"epochs": 20, "steps_per_epoch": 500, "val_steps": None, **BOOK_SETTINGS},
}
BOOK = {
    "best_val_mae": 0.4521,  # notebook 6.4, cell 9: val_loss of epoch 1
    "best_val_epoch": 1,  # cell 9
    "final_val_mae": 0.4821,  # cell 9: epoch 20's line
}


def build_model(num_features):
    """The book's model (cell 9), compiled; input: sequences of `num_features` measurements."""
    model = keras.Sequential(
        [
            keras.Input(shape=(None, num_features)),
            layers.Conv1D(32, 5, activation="relu"),
            layers.MaxPooling1D(3),
            layers.Conv1D(32, 5, activation="relu"),
            layers.MaxPooling1D(3),
            layers.Conv1D(32, 5, activation="relu"),
            layers.GlobalMaxPooling1D(),
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
    run = results.Run(__file__, args, "Jena climate, Conv1D only", BOOK)

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
    run.save_figure(curves(history, ("loss",), "Conv1D, MAE"), "_mae.png")
    return run.finish({**jena_series.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
