"""IMDB with a SimpleRNN: Embedding(10000, 32) + SimpleRNN(32), reviews of up to 500 words.

Deep Learning with Python, section 6.2.1 (notebook 6.2, cells 9-11). Word-index sequences (the
10,000 most frequent words), each cut or padded to its last 500 words; a 32-dimensional
embedding feeds a SimpleRNN(32) whose last output goes to one sigmoid unit. RMSprop, binary
crossentropy, batch 128, 20% validation, 10 epochs. The book's first recurrent network does
worse than chapter 3's Dense baseline (about 88%): it sees only 500 words, and a SimpleRNN
forgets the start of a long sequence (the vanishing gradient that imdb_lstm's LSTM addresses).

Book: validation accuracy best 0.8460 at epoch 4, 0.8054 after epoch 10 (notebook 6.2, cell 11;
the markdown of cell 14 says "only up to 85%").

Run:  python chapter06/imdb_simple_rnn.py [--profile smoke|quick|full]
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
    # quick: the book's run cut to 6 epochs (its best is at epoch 4). Measured (2 shared cores,
    # TF 2.21): 22-24 s per epoch when free, 40-60 s busy; 284 s in all (val accuracy best 0.850
    # at epoch 5, 0.845 after 6); full's 10 epochs take about 4-8 minutes
    "quick": {"epochs": 6, "samples": None, "maxlen": 500},
    "full": {"epochs": 10, "samples": None, "maxlen": 500},  # notebook 6.2, cells 9 and 11
}
BOOK = {
    "best_val_accuracy": 0.8460,  # notebook 6.2, cell 11: val_acc of epoch 4
    "best_val_epoch": 4,  # cell 11
    "final_val_accuracy": 0.8054,  # cell 11: epoch 10's line
}
MAX_FEATURES = 10000  # number of words to consider as features (cell 9)


def build_model(maxlen):
    """The book's model (cell 11), compiled; input: `maxlen` word indices per review."""
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen,)),
            layers.Embedding(MAX_FEATURES, 32),
            layers.SimpleRNN(32),  # no gates: no recurrent-activation default differs
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
    run = results.Run(__file__, args, "IMDB, Embedding + SimpleRNN(32)", BOOK)

    # Data (cell 9): the last `maxlen` words of each review
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
    run.save_figure(curves(history, ("accuracy", "loss"), "SimpleRNN(32)"), "_curves.png")
    best = best_epoch(history, "val_accuracy", epoch_key="best_val_epoch")
    return run.finish(best)


if __name__ == "__main__":
    flags.run(main)
