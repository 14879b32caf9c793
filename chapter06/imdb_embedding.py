"""IMDB with a learned word embedding: Embedding(10000, 8) + Flatten + Dense.

Deep Learning with Python, section 6.1.2. The IMDB reviews are loaded as word-index sequences
(10,000 most frequent words), each cut or padded to its last 20 words with
`keras.utils.pad_sequences`; an Embedding layer learns an 8-dimensional vector per word, the 20
vectors are flattened and a single sigmoid unit classifies the review. RMSprop, binary
crossentropy, 10 epochs, batch 32, 20% of the training reviews held out for validation. With only
20 words per review and no notion of word order, ~75% is about what this model can do.

Book: validation accuracy ~0.76 (the curves of listing 6.7).

Keras 2 -> 3: `preprocessing.sequence.pad_sequences` -> `keras.utils.pad_sequences`;
`Embedding(10000, 8, input_length=maxlen)` -> `keras.Input(shape=(maxlen,))` + `Embedding(10000, 8)`
(`input_length` is gone).

Data: IMDB word-index sequences (dlwp.datasets.load_imdb: imdb.npz, or rebuilt from aclImdb).

Run:  python chapter06/imdb_embedding.py [--profile smoke|quick|full]
"""

import keras
import matplotlib
import numpy as np
from keras import layers

from dlwp import cli, datasets, results

matplotlib.use("Agg")  # headless: write PNGs, never open a window
import matplotlib.pyplot as plt  # noqa: E402

PROFILES = {
    "smoke": {"epochs": 1, "samples": 200, "maxlen": 20},
    "quick": {"epochs": 10, "samples": None, "maxlen": 20},  # small enough to run as in the book
    "full": {"epochs": 10, "samples": None, "maxlen": 20},
}
BOOK = {"best_val_accuracy": "~0.76"}
MAX_FEATURES = 10000


def load_padded(data_dir, maxlen, samples=None, num_words=MAX_FEATURES):
    """IMDB training reviews as a (reviews, maxlen) int array (the last maxlen words) + labels."""
    (x_train, y_train), _ = datasets.load_imdb(data_dir, num_words=num_words)
    if samples:
        x_train, y_train = x_train[:samples], y_train[:samples]
    return keras.utils.pad_sequences(x_train, maxlen=maxlen), np.asarray(y_train, "float32")


def plot_history(history, title):
    """Training and validation accuracy, and loss, side by side."""
    h = history.history
    epochs = range(1, len(h["loss"]) + 1)
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    ax_acc.plot(epochs, h["accuracy"], "bo", label="Training acc")
    ax_acc.plot(epochs, h["val_accuracy"], "b", label="Validation acc")
    ax_acc.set(title=f"{title}: accuracy", xlabel="Epochs", ylabel="Accuracy")
    ax_acc.legend()
    ax_loss.plot(epochs, h["loss"], "bo", label="Training loss")
    ax_loss.plot(epochs, h["val_loss"], "b", label="Validation loss")
    ax_loss.set(title=f"{title}: loss", xlabel="Epochs", ylabel="Loss")
    ax_loss.legend()
    return fig


def accuracy_metrics(history):
    """Best and last validation accuracy, and the epoch of the best, from a Keras history."""
    val = history.history["val_accuracy"]
    return {
        "best_val_accuracy": max(val),
        "best_val_epoch": int(np.argmax(val)) + 1,
        "final_val_accuracy": val[-1],
        "history": history.history,
    }


def parse_args(argv=None):
    parser = cli.parser(__doc__, PROFILES)
    parser.add_argument("--maxlen", type=cli.positive_int, help="words kept per review (book 20)")
    return cli.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    run = results.Run(__file__, args, "IMDB, learned Embedding(10000, 8) + Dense", BOOK)

    # Data: the last `maxlen` words of each review
    x_train, y_train = load_padded(args.data_dir, args.maxlen, args.samples)
    print(f"x_train {x_train.shape}")

    # Model
    model = keras.Sequential(
        [
            keras.Input(shape=(args.maxlen,)),
            layers.Embedding(MAX_FEATURES, 8),
            layers.Flatten(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()

    # Train, holding out 20% for validation
    history = model.fit(
        x_train, y_train, epochs=args.epochs, batch_size=32, validation_split=0.2, verbose=2
    )
    run.save_figure(plot_history(history, "Embedding + Dense"), "_curves.png")
    return run.finish(accuracy_metrics(history))


if __name__ == "__main__":
    main()
