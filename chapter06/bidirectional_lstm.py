"""IMDB with a bidirectional LSTM: Bidirectional(LSTM(32)), reviews of up to 500 words.

Deep Learning with Python, section 6.3.8. The same data as imdb_lstm (10,000 words, last 500
words per review); `Bidirectional(LSTM(32))` reads each review forward and backward and
concatenates both final states before the sigmoid unit. RMSprop, binary crossentropy, batch 128,
20% validation, 10 epochs. Reading in both directions gives the LSTM a slightly better view of
the review; it overfits sooner (twice the parameters).

Book: validation accuracy best 0.8856 (about the LSTM's 0.89).

Keras 2 -> 3: unchanged model; `keras.utils.pad_sequences` for the padding.

Run:  python chapter06/bidirectional_lstm.py [--profile smoke|quick|full]
"""

import keras
import numpy as np
from keras import layers

from dlwp import flags, results
from dlwp.data import imdb
from dlwp.history import best_epoch, curves

PROFILES = {
    "smoke": {"epochs": 1, "samples": 200, "maxlen": 50},
    "quick": {"epochs": 6, "samples": None, "maxlen": 500},  # ~40 s per epoch on 2 cores
    "full": {"epochs": 10, "samples": None, "maxlen": 500},
}
BOOK = {"best_val_accuracy": 0.8856}
MAX_FEATURES = 10000  # number of words to consider as features


def build_model(maxlen):
    """The book's model, compiled; input: `maxlen` word indices per review."""
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen,)),
            layers.Embedding(MAX_FEATURES, 32),
            layers.Bidirectional(layers.LSTM(32)),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--maxlen", type=flags.positive_int, help="words kept per review (500)")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "IMDB, Bidirectional(LSTM(32))", BOOK)

    # Data
    (x_train, y_train), _ = imdb.load_data(args.data, num_words=MAX_FEATURES)
    x_train, y_train = x_train[: args.samples], np.asarray(y_train[: args.samples], "float32")
    x_train = keras.utils.pad_sequences(x_train, maxlen=args.maxlen)
    print(f"x_train {x_train.shape}")

    # Model
    model = build_model(args.maxlen)

    # Train
    history = model.fit(
        x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2, verbose=2
    )
    run.save_figure(curves(history, ("accuracy", "loss"), "Bidirectional LSTM"), "_curves.png")
    best = best_epoch(history, "val_accuracy", epoch_key="best_val_epoch")
    return run.finish(best)


if __name__ == "__main__":
    flags.run(main)
