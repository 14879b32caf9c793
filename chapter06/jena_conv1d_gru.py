"""Jena climate: a Conv1D front end that shortens the sequence, then a GRU.

Deep Learning with Python, section 6.4.5 (notebook 6.4, cells 14 and 16). The generators are
remade with `step=3` (one row per 30 minutes) and `lookback=720` (5 days): half jena_gru's
history at twice its resolution, 240 timesteps, delay 144 (24 hours), batch 128. Two
Conv1D(32, 5) layers with a MaxPooling1D(3) between them downsample the sequence before a
GRU(32, dropout=0.1, recurrent_dropout=0.5) and Dense(1) (13,697 parameters, the notebook's);
RMSprop, MAE, 500 steps per epoch, 20 epochs. The convnet makes the long sequence affordable.

Book: validation MAE best 0.2730 at epoch 4, 0.2952 after epoch 20 (notebook 6.4, cell 16): not
as good as the regularized GRUs, but much faster.

Run:  python chapter06/jena_conv1d_gru.py [--profile smoke|quick|full]
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

# notebook 6.4, cell 14: the higher-resolution generators (lookback 720, step 3, delay 144,
# batch 128, the same index ranges). Cell 14 says `lookback = 720  # Unchanged`, but 6.3 and 6.4
# cell 8 used 1440. val_steps = (300000 - 200001 - 720) // 128 = 775. quick: the same generators.
STEP3 = {**BOOK_SETTINGS, "lookback": 720, "step": 3}
PROFILES = {
    "smoke": {"epochs": 1, "steps_per_epoch": 3, "val_steps": 2, **SMOKE_SETTINGS, "step": 3},
    "quick": {"epochs": 5, "steps_per_epoch": 200, "val_steps": 200, **STEP3},
    # full: notebook 6.4, cell 16 (val_steps None: all 775 validation batches)
    "full": {"epochs": 20, "steps_per_epoch": 500, "val_steps": None, **STEP3},
}
BOOK = {  # notebook 6.4, cell 16: 20 epochs, val_loss (the MAE) best 0.2730 at epoch 4
    "best_val_mae": 0.2730,
    "best_val_epoch": 4,
}


def build_model(num_features):
    """The book's model, compiled; input: sequences of `num_features` measurements."""
    model = keras.Sequential(
        [
            keras.Input(shape=(None, num_features)),
            layers.Conv1D(32, 5, activation="relu"),
            layers.MaxPooling1D(3),
            layers.Conv1D(32, 5, activation="relu"),
            # Keras 2's GRU (reset_after=True would make it 13,793 parameters)
            layers.GRU(32, dropout=0.1, recurrent_dropout=0.5, reset_after=False),
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
    run = results.Run(__file__, args, "Jena climate, Conv1D + GRU (step 3)", BOOK)

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
    run.save_figure(curves(history, ("loss",), "Conv1D + GRU, MAE"), "_mae.png")
    return run.finish({**jena_series.mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    flags.run(main)
