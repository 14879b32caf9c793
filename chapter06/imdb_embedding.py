"""IMDB with a learned word embedding: Embedding(10000, 8) + Flatten + Dense.

Deep Learning with Python, section 6.1.2 (notebook 6.1-using-word-embeddings, cells 8 and 9).
IMDB word-index sequences (10,000 most frequent words; imdb.npz, or rebuilt from aclImdb), each
cut or padded to its last 20 words; an Embedding layer learns an 8-dimensional vector per word,
the 20 vectors are flattened and one sigmoid unit classifies the review. RMSprop, binary
crossentropy, 10 epochs, batch 32, 20% of the training reviews held out for validation. With 20
words per review and no notion of word order, ~75% is about what this model can do.

Book: validation accuracy best 0.7594 at epoch 6, 0.7554 after epoch 10; 80,161 parameters; the
text says "~76%" (notebook 6.1-using-word-embeddings, cell 9).

Run:  python chapter06/imdb_embedding.py [--profile smoke|quick|full]
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
    "smoke": {"epochs": 1, "samples": 200, "maxlen": 20},
    "quick": {"epochs": 10, "samples": None, "maxlen": 20},  # small enough to run as in the book
    "full": {"epochs": 10, "samples": None, "maxlen": 20},  # 6.1-using-word-embeddings cells 8-9
}
BOOK = {  # 6.1-using-word-embeddings, cell 9: 10 epochs, val_acc best 0.7594 at epoch 6
    "best_val_accuracy": 0.7594,
    "best_val_epoch": 6,
}
MAX_FEATURES = 10000  # number of words to consider as features


def build_model(maxlen):
    """The book's model, compiled; input: `maxlen` word indices per review."""
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen,)),  # Keras 2: Embedding(10000, 8, input_length=maxlen)
            layers.Embedding(MAX_FEATURES, 8),
            layers.Flatten(),
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
    parser.add_argument("--maxlen", type=flags.positive_int, help="words kept per review (book 20)")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "IMDB, learned Embedding(10000, 8) + Dense", BOOK)

    # Data: the reviews as lists of word indices, then the last `maxlen` words of each
    (x_train, y_train), _ = imdb.load_data(args.folders, num_words=MAX_FEATURES)
    x_train, y_train = x_train[: args.samples], np.asarray(y_train[: args.samples], "float32")
    x_train = keras.utils.pad_sequences(x_train, maxlen=args.maxlen)
    print(f"x_train {x_train.shape}")

    # Model
    model = build_model(args.maxlen)
    model.summary()

    # Train, holding out 20% for validation
    history = model.fit(
        x_train, y_train, epochs=args.epochs, batch_size=32, validation_split=0.2, verbose=2
    )
    run.save_figure(curves(history, ("accuracy", "loss"), "Embedding + Dense"), "_curves.png")
    best = best_epoch(history, "val_accuracy", epoch_key="best_val_epoch")
    return run.finish(best)


if __name__ == "__main__":
    flags.run(main)
