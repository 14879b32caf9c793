"""IMDB, each review read backwards: reversed sequences, Embedding(10000, 128) + LSTM(32).

Deep Learning with Python, section 6.3.8 (notebook 6.3, cell 47). Before trying a bidirectional
RNN, the book checks whether word order matters: every review's word-index list is reversed,
then padded (or cut) to 500 words, so the model reads a review's FIRST 500 words, last word
first; a 128-dimensional embedding feeds an LSTM(32) and one sigmoid unit. RMSprop, binary
crossentropy, batch 128, 20% validation, 10 epochs. It does about as well as the forward LSTM of
imdb_lstm: for sentiment, word order matters little, which bidirectional_lstm builds on.

Book: validation accuracy best 0.8770 at epoch 3, 0.8566 after epoch 10 (notebook 6.3, cell 47).

Run:  python chapter06/imdb_reversed_lstm.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers

from dlwp import flags, results
from dlwp.data import imdb
from dlwp.history import best_epoch, curves
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "samples": 200, "maxlen": 50},
    # quick: the book's run cut to 4 epochs (its best is at epoch 3). Measured (2 busy cores,
    # TF 2.21): 71-83 s per epoch, 314 s in all, val accuracy 0.727, 0.792, 0.849, 0.866 (still
    # rising); full's 10 epochs take up to ~14 minutes
    "quick": {"epochs": 4, "samples": None, "maxlen": 500},
    "full": {"epochs": 10, "samples": None, "maxlen": 500},  # notebook 6.3, cell 47
}
BOOK = {
    "best_val_accuracy": 0.8770,  # notebook 6.3, cell 47: val_acc of epoch 3
    "best_val_epoch": 3,  # cell 47
    "final_val_accuracy": 0.8566,  # cell 47: epoch 10's line
}
MAX_FEATURES = 10000  # number of words to consider as features (cell 47)


def reverse_and_pad(sequences, maxlen):
    """The book's data step (cell 47): reverse each word list, then pad/cut it to `maxlen`."""
    reversed_sequences = [x[::-1] for x in sequences]
    # pad_sequences cuts at the start, the review's end once reversed: its first `maxlen` words
    return keras.utils.pad_sequences(reversed_sequences, maxlen=maxlen)


def build_model(maxlen):
    """The book's model (cell 47), compiled; input: `maxlen` word indices per review."""
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen,)),
            layers.Embedding(MAX_FEATURES, 128),
            layers.LSTM(32),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--maxlen", type=flags.positive_int, help="words kept per review (500)")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "IMDB, reversed reviews, Embedding + LSTM(32)", BOOK)

    # Data: every review reversed, then padded
    (x_train, y_train), _ = imdb.load_data(args.folders, num_words=MAX_FEATURES)
    x_train, y_train = x_train[: args.samples], np.asarray(y_train[: args.samples], "float32")
    x_train = reverse_and_pad(x_train, args.maxlen)
    print(f"x_train {x_train.shape}")

    # Model
    model = build_model(args.maxlen)

    # Train
    history = model.fit(
        x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2, verbose=2
    )
    run.save_figure(curves(history, ("accuracy", "loss"), "LSTM(32), reversed"), "_curves.png")
    best = best_epoch(history, "val_accuracy", epoch_key="best_val_epoch")
    return run.finish(best)


if __name__ == "__main__":
    flags.run(main)
