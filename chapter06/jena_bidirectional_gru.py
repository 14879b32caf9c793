"""Jena climate: a bidirectional GRU, Bidirectional(GRU(32)).

Deep Learning with Python, section 6.3.8 (notebook 6.3, cell 54). The same data and generators
as jena_gru (in chronological order); `Bidirectional(GRU(32))` runs one GRU forward and a copy
backward over each sample and concatenates both final states before Dense(1). RMSprop on the
MAE, 500 steps of 128 samples per epoch, 40 epochs. About as good as the forward GRU: the
backward half does poorly on this task (jena_reversed_gru), so nearly all the skill comes from
the forward half; and without dropout it overfits after a few epochs.

Book: validation MAE best 0.2615 at epoch 4, 0.3289 after epoch 40 (notebook 6.3, cell 54).

Run:  python chapter06/jena_bidirectional_gru.py [--profile smoke|quick|full]
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
    # full: notebook 6.3, cells 17 (generators) and 54 (epochs=40, steps_per_epoch=500)
    "full": {"epochs": 40, "steps_per_epoch": 500, "val_steps": None, **BOOK_SETTINGS},
}
BOOK = {
    "best_val_mae": 0.2615,  # notebook 6.3, cell 54: val_loss of epoch 4
    "best_val_epoch": 4,  # cell 54
    "final_val_mae": 0.3289,  # cell 54: epoch 40's line
}


def build_model(num_features):
    """The book's model (cell 54), compiled; input: sequences of `num_features` measurements."""
    model = keras.Sequential(
        [
            keras.Input(shape=(None, num_features)),
            layers.Bidirectional(layers.GRU(32, reset_after=False)),  # 2 x 4,512, as in the book
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
    run = results.Run(__file__, args, "Jena climate, Bidirectional(GRU(32))", BOOK)

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
    run.save_figure(curves(history, ("loss",), "Bidirectional(GRU(32)), MAE"), "_mae.png")
    return run.finish({**jena_series.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
