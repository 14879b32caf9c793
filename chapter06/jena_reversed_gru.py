"""Jena climate: GRU(32) fed the sequences in reverse order (most recent measurement first).

Deep Learning with Python, section 6.3.8 (notebook 6.3, cells 43-44). Before trying a
bidirectional RNN, the book checks how much the order of the timesteps matters: jena_gru's
training (GRU(32), Dense(1), RMSprop on the MAE, 500 steps of 128 samples, 20 epochs), but every
sample's time axis reversed (the book's `reverse_order_generator`: `reverse_order` here). It does
much worse than the forward GRU, and than the common-sense baseline (0.29): for a forecast the
recent past matters most. Order matters here, unlike for the reviews of imdb_reversed_lstm.

Book: validation MAE best 0.3990 at epoch 11, 0.4261 after epoch 20 (notebook 6.3, cell 44).

Run:  python chapter06/jena_reversed_gru.py [--profile smoke|quick|full]
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
    # full: notebook 6.3, cells 17 and 43 (generators) and 44 (epochs=20, steps_per_epoch=500)
    "full": {"epochs": 20, "steps_per_epoch": 500, "val_steps": None, **BOOK_SETTINGS},
}
BOOK = {
    "best_val_mae": 0.3990,  # notebook 6.3, cell 44: val_loss of epoch 11
    "best_val_epoch": 11,  # cell 44
    "final_val_mae": 0.4261,  # cell 44: epoch 20's line
}


def reverse_order(batches):
    """The book's reverse_order_generator (cell 43): each batch with its time axis reversed."""
    for samples, targets in batches:
        yield samples[:, ::-1, :], targets


def build_model(num_features):
    """The book's model (cell 44), compiled; input: sequences of `num_features` measurements."""
    model = keras.Sequential(
        [
            keras.Input(shape=(None, num_features)),
            layers.GRU(32, reset_after=False),  # 4,512 weights, as in the book
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
    run = results.Run(__file__, args, "Jena climate, GRU(32) on reversed sequences", BOOK)

    # Data: parse, normalize with the training rows' statistics, the book's generators reversed
    _, float_data = jena.load(args.folders)
    series, _, std = jena_series.normalize(float_data, args.train_end)
    gens = jena_series.book_generators(series, **jena_series.settings(args))
    train_gen, val_gen, val_steps = gens.train, gens.val, gens.val_steps
    train_gen_reverse, val_gen_reverse = reverse_order(train_gen), reverse_order(val_gen)
    val_steps = min(val_steps, args.val_steps or val_steps)

    # Model
    model = build_model(series.shape[-1])

    # Train
    history = model.fit(
        train_gen_reverse,
        steps_per_epoch=args.steps_per_epoch,
        epochs=args.epochs,
        validation_data=val_gen_reverse,
        validation_steps=val_steps,
        shuffle=False,  # the generator draws random rows itself
        verbose=2,
    )
    run.save_figure(curves(history, ("loss",), "GRU(32), reversed, MAE"), "_mae.png")
    return run.finish({**jena_series.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
