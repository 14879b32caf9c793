"""IMDB with a 1D convnet: Conv1D(32, 7) + MaxPooling1D(5) + Conv1D(32, 7) + GlobalMaxPooling1D.

Deep Learning with Python, section 6.4.3. The same data as imdb_lstm (10,000 words, last 500
words per review), embedded in 128 dimensions; two Conv1D(32, 7, relu) layers with a
MaxPooling1D(5) between them look at 7-word windows, GlobalMaxPooling1D keeps each filter's
strongest response and Dense(1) scores it. RMSprop with learning rate 1e-4, binary crossentropy,
batch 128, 20% validation, 10 epochs. A convnet is much cheaper than the LSTM for nearly the same
accuracy; at this learning rate it climbs slowly (0.54 after one epoch, 0.83 after ten).

Book: validation accuracy best 0.838.

Keras 2 -> 3: `RMSprop(lr=1e-4)` -> `RMSprop(learning_rate=1e-4)`; `Embedding(..., input_length=)`
-> `keras.Input(shape=(maxlen,))`; `keras.utils.pad_sequences` for the padding. One fix: the
book's last layer is `Dense(1)` with no activation, trained with `binary_crossentropy`, which
expects probabilities (it only trains because the loss clips its input to [1e-7, 1 - 1e-7], which
also zeroes the gradient of every clipped output); here it is `Dense(1, activation="sigmoid")`.

Run:  python chapter06/imdb_conv1d.py [--profile smoke|quick|full]
"""

import keras
import numpy as np
from keras import layers

from dlwp import flags, results
from dlwp.data import imdb
from dlwp.history import best_epoch, curves

PROFILES = {
    "smoke": {"epochs": 1, "samples": 200, "maxlen": 50, "learning_rate": 1e-4},
    # quick = the book's settings: ~20 s per epoch on 2 cores, 0.83 after 10 epochs
    "quick": {"epochs": 10, "samples": None, "maxlen": 500, "learning_rate": 1e-4},
    "full": {"epochs": 10, "samples": None, "maxlen": 500, "learning_rate": 1e-4},
}
BOOK = {"best_val_accuracy": 0.838}
MAX_FEATURES = 10000  # number of words to consider as features


def build_model(maxlen, learning_rate):
    """The book's model, compiled; input: `maxlen` word indices per review."""
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen,)),
            layers.Embedding(MAX_FEATURES, 128),
            layers.Conv1D(32, 7, activation="relu"),
            layers.MaxPooling1D(5),
            layers.Conv1D(32, 7, activation="relu"),
            layers.GlobalMaxPooling1D(),
            layers.Dense(1, activation="sigmoid"),  # the book: Dense(1), see the docstring
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--maxlen", type=flags.positive_int, help="words kept per review (500)")
    parser.add_argument("--learning-rate", type=float, help="RMSprop learning rate (book 1e-4)")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "IMDB, 1D convnet", BOOK)

    # Data
    (x_train, y_train), _ = imdb.load_data(args.data, num_words=MAX_FEATURES)
    x_train, y_train = x_train[: args.samples], np.asarray(y_train[: args.samples], "float32")
    x_train = keras.utils.pad_sequences(x_train, maxlen=args.maxlen)
    print(f"x_train {x_train.shape}")

    # Model
    model = build_model(args.maxlen, args.learning_rate)

    # Train
    history = model.fit(
        x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2, verbose=2
    )
    run.save_figure(curves(history, ("accuracy", "loss"), "1D convnet"), "_curves.png")
    best = best_epoch(history, "val_accuracy", epoch_key="best_val_epoch")
    return run.finish(best)


if __name__ == "__main__":
    flags.run(main)
