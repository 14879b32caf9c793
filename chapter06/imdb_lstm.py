"""IMDB with an LSTM: Embedding(10000, 32) + LSTM(32), reviews of up to 500 words.

Deep Learning with Python, section 6.2.3 (notebook 6.2, cells 9 and 16). Word-index sequences
(10,000 most frequent words), each cut or padded to its last 500 words; a 32-dimensional
embedding feeds an LSTM(32) whose last output goes to one sigmoid unit (328,353 parameters, as
in the book). RMSprop, binary crossentropy, batch 128, 20% of the training reviews for
validation, 10 epochs. It beats the Dense baselines of chapter 3 only slightly: word order
matters little for sentiment.

Book: validation accuracy best 0.8928 at epoch 8, 0.8758 after epoch 10 (notebook 6.2, cell 16).

Run:  python chapter06/imdb_lstm.py [--profile smoke|quick|full]
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
    # quick: 20-30 s per epoch of 20,000 reviews on 2 shared cores (up to ~50 s when busy);
    # measured: validation accuracy peaked at epoch 3 (0.867)
    "quick": {"epochs": 4, "samples": None, "maxlen": 500},
    "full": {"epochs": 10, "samples": None, "maxlen": 500},  # notebook 6.2, cells 9 and 16
}
BOOK = {  # notebook 6.2, cell 16: 10 epochs, val_acc best 0.8928 at epoch 8
    "best_val_accuracy": 0.8928,
    "best_val_epoch": 8,
}
MAX_FEATURES = 10000  # number of words to consider as features


def build_model(maxlen):
    """The book's model, compiled; input: `maxlen` word indices per review."""
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen,)),
            layers.Embedding(MAX_FEATURES, 32),
            # No recurrent dropout: cuDNN's fused kernel on a GPU, the fused gate matmul on a CPU
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
    run = results.Run(__file__, args, "IMDB, Embedding + LSTM(32)", BOOK)

    # Data
    (x_train, y_train), _ = imdb.load_data(args.folders, num_words=MAX_FEATURES)
    x_train, y_train = x_train[: args.samples], np.asarray(y_train[: args.samples], "float32")
    x_train = keras.utils.pad_sequences(x_train, maxlen=args.maxlen)
    print(f"x_train {x_train.shape}")

    # Model
    model = build_model(args.maxlen)

    # Train
    history = model.fit(
        x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2, verbose=2
    )
    run.save_figure(curves(history, ("accuracy", "loss"), "LSTM(32)"), "_curves.png")
    best = best_epoch(history, "val_accuracy", epoch_key="best_val_epoch")
    return run.finish(best)


if __name__ == "__main__":
    flags.run(main)
