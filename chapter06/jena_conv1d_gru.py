"""Jena climate: a Conv1D front end that shortens the sequence, then a GRU.

Deep Learning with Python, section 6.4.5. The generators are remade with `step=3` (one row per
30 minutes: 480 timesteps of history, twice the resolution of jena_gru); two Conv1D(32, 5)
layers with a MaxPooling1D(3) between them extract local patterns and downsample the sequence
before a GRU(32, dropout=0.1, recurrent_dropout=0.5) and Dense(1). RMSprop, MAE, 500 steps per
epoch, 20 epochs. The convnet makes the long sequence affordable for the RNN.

Book: validation MAE best ~0.273 (not as good as the regularized GRU, but much faster).

The quick profile (fewer, shorter epochs) is untested on the real series: the Jena CSV was not
available where this was written, so RESULTS.md says "not measured"; the tests run the script on
a small CSV in the same format.

Keras 2 -> 3: `fit_generator` -> `fit` with the same Python generator; `input_shape=` on the
first layer -> `keras.Input`.

Data: datasets/jena_climate_2009_2016.csv (see chapter06/jena_generator.py).

Run:  python chapter06/jena_conv1d_gru.py [--profile smoke|quick|full]
"""

import keras
from keras import layers

from chapter06.jena_generator import BOOK_SETTINGS, book_generators, load_normalized
from chapter06.jena_gru import SMOKE, mae_metrics, plot_mae
from dlwp import cli, results

STEP3 = {**BOOK_SETTINGS, "step": 3}  # the book's higher-resolution generators
PROFILES = {
    "smoke": {"epochs": 1, "steps_per_epoch": 3, "val_steps": 2, **SMOKE, "step": 3},
    "quick": {"epochs": 5, "steps_per_epoch": 200, "val_steps": 200, **STEP3},
    "full": {"epochs": 20, "steps_per_epoch": 500, "val_steps": None, **STEP3},
}
BOOK = {"best_val_mae": 0.273, "best_val_epoch": None}


def parse_args(argv=None):
    parser = cli.parser(__doc__, PROFILES)
    parser.add_argument("--steps-per-epoch", type=cli.positive_int, help="training batches/epoch")
    parser.add_argument("--val-steps", type=cli.positive_int, help="validation batches per epoch")
    return cli.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    run = results.Run(__file__, args, "Jena climate, Conv1D + GRU (step 3)", BOOK)

    # Data
    _, data, _, std = load_normalized(args.data_dir, args.train_end)
    train_gen, val_gen, _, val_steps, _ = book_generators(data, **vars(args))
    val_steps = min(val_steps, args.val_steps or val_steps)

    # Model
    model = keras.Sequential(
        [
            keras.Input(shape=(None, data.shape[-1])),
            layers.Conv1D(32, 5, activation="relu"),
            layers.MaxPooling1D(3),
            layers.Conv1D(32, 5, activation="relu"),
            layers.GRU(32, dropout=0.1, recurrent_dropout=0.5),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="mae")

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
    run.save_figure(plot_mae(history, "Conv1D + GRU: training and validation MAE"), "_mae.png")
    return run.finish({**mae_metrics(history, std), "val_steps": val_steps})


if __name__ == "__main__":
    main()
