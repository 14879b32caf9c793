"""IMDB from raw text with pretrained GloVe word embeddings, frozen, on 200 training reviews.

Deep Learning with Python, section 6.1.3 (notebook 6.1-using-word-embeddings, cells 16-37). The raw
reviews of aclImdb/train are tokenized (10,000 most frequent words) and cut to their last 100
words; after a shuffle only 200 train the model (10,000 validate). An Embedding(10000, 100) whose
row i is the GloVe vector of word i (glove.6B.100d.txt) is frozen under Flatten, Dense(32, relu),
Dense(1, sigmoid); RMSprop, binary crossentropy, 10 epochs, batch 32; then aclImdb/test is scored.
`--glove none` (the learned_embedding variant) trains a random, trainable Embedding instead.

Book: with GloVe, validation accuracy best 0.5723 at epoch 8, 0.5413 after epoch 10 (cell 28),
test accuracy 0.5366 (cell 37); without (cell 32), best 0.5282 at epoch 7, 0.5264 after epoch 10,
no test accuracy printed; 1,320,065 parameters before freezing (cells 23 and 32). With 200
samples it overfits fast, and results vary a lot with the 200 drawn.

Run:  python chapter06/imdb_glove.py [--profile smoke|quick|full] [--glove PATH | --glove none]
Needs datasets/glove.6B.100d.txt (https://nlp.stanford.edu/data/glove.6B.zip) in a data folder.
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

from pathlib import Path

import keras
import numpy as np
from keras import layers

from dlwp import flags, results
from dlwp.data import glove, imdb
from dlwp.errors import BadData
from dlwp.history import best_epoch, curves
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

BOOK_SETTINGS = {  # notebook 6.1-using-word-embeddings: cells 16 and 21 (data), 28 (fit)
    "epochs": 10,
    "maxlen": 100,
    "training_samples": 200,
    "validation_samples": 10000,
    "max_words": 10000,
}
PROFILES = {
    "smoke": {
        "epochs": 1,
        "maxlen": 20,
        "training_samples": 50,
        "validation_samples": 100,
        "max_words": 10000,
    },
    "quick": dict(BOOK_SETTINGS),  # 200 training samples: the book's settings are already cheap
    "full": dict(BOOK_SETTINGS),
}
BOOKS = {  # notebook 6.1-using-word-embeddings
    # cell 28: val_acc best 0.5723 at epoch 8; cell 37: evaluate -> [0.9374..., 0.5366]
    None: {"best_val_accuracy": 0.5723, "best_val_epoch": 8, "test_accuracy": 0.5366},
    # cell 32: val_acc best 0.5282 at epoch 7; no test accuracy printed for this model
    "learned_embedding": {"best_val_accuracy": 0.5282, "best_val_epoch": 7, "test_accuracy": None},
}
BOOK = BOOKS[None]
OOV = 1  # TextVectorization: index 0 is padding, 1 the out-of-vocabulary token
GLOVE_FIX = f"use glove.6B.100d.txt from {glove.ZIP_URL}"


def parse_glove(path, words=None):
    """A GloVe text file as {word: float32 vector}; only `words` when given (saves memory).

    Every line is "word v1 v2 ... vd" with the same d on every line; a malformed line raises
    BadData naming the file and the line.
    """
    path = Path(path)
    embeddings_index, dim, lineno = {}, None, 0
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                values = line.split()
                if not values:
                    continue
                if dim is None:
                    dim = len(values) - 1
                if dim < 1 or len(values) - 1 != dim:
                    raise BadData(
                        path,
                        f"line {lineno}: {len(values) - 1} numbers after the word, expected "
                        f"{dim or 'at least 1'}; not a GloVe text file",
                        GLOVE_FIX,
                    )
                word = values[0]
                if words is None or word in words:
                    embeddings_index[word] = np.asarray(values[1:], dtype="float32")
    except (OSError, UnicodeDecodeError) as exc:  # before ValueError: a UnicodeDecodeError is one
        raise BadData(path, f"not a readable UTF-8 text file ({exc})", GLOVE_FIX) from None
    except ValueError as exc:
        what = f"line {lineno}: not a number ({exc}); not a GloVe file"
        raise BadData(path, what, GLOVE_FIX) from None
    if dim is None:
        raise BadData(path, "empty: not a GloVe text file", GLOVE_FIX)
    return embeddings_index, dim


def build_embedding_matrix(vocabulary, embeddings_index, embedding_dim):
    """Row i = the GloVe vector of vocabulary[i] (zeros where there is none, and rows 0 and 1)."""
    # Aligned by construction, as the notebook's was (its Tokenizer numbered words from 1, and the
    # sequences and the matrix used those indices): row 0 is padding, row 1 the OOV token, both zero
    matrix = np.zeros((len(vocabulary), embedding_dim), dtype="float32")
    found = 0
    for i, word in enumerate(vocabulary):
        vector = embeddings_index.get(word)
        if i > OOV and vector is not None:
            matrix[i] = vector
            found += 1
    return matrix, found


def texts_to_sequences(vectorizer, texts, maxlen):
    """Each text as the indices of its known words (OOV dropped), pre-padded/cut to maxlen."""
    sequences = vectorizer(texts).to_list()  # ragged: one list of indices per text
    sequences = [[i for i in seq if i != OOV] for seq in sequences]  # as the book's Tokenizer did
    return keras.utils.pad_sequences(sequences, maxlen=maxlen)


def build_model(maxlen, num_words, embedding_dim, embedding_matrix=None):
    """The book's model, compiled. With `embedding_matrix` (num_words x embedding_dim), the
    Embedding layer starts from it and is frozen; without, it is trainable (learned_embedding)."""
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen,)),
            layers.Embedding(num_words, embedding_dim),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    if embedding_matrix is not None:
        model.layers[0].set_weights([embedding_matrix])
        model.layers[0].trainable = False
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument(
        "--glove",
        help="GloVe text file (default: datasets/glove.6B.100d.txt in the data folders), or "
        "'none': no pretrained vectors, a trainable Embedding (the learned_embedding variant)",
    )
    parser.add_argument("--training-samples", type=flags.positive_int, help="book: 200")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    pretrained = args.glove != "none"
    variant = None if pretrained else "learned_embedding"
    title = "IMDB raw text, " + ("frozen GloVe embedding" if pretrained else "learned embedding")
    run = results.Run(__file__, args, title, BOOKS[variant], variant=variant)
    glove_path = glove.find(args.folders, args.glove) if pretrained else None

    # Data: raw texts -> word indices -> the last maxlen words of each review
    texts, labels = imdb.load_reviews(args.folders, "train")
    # Keras 2: Tokenizer(num_words=10000).fit_on_texts / texts_to_sequences (gone). Its filters
    # kept apostrophes; TextVectorization's default standardization lower-cases and strips them.
    vectorizer = layers.TextVectorization(max_tokens=args.max_words, ragged=True)
    vectorizer.adapt(np.array(texts), batch_size=1024)
    vocabulary = vectorizer.get_vocabulary()
    data = texts_to_sequences(vectorizer, texts, args.maxlen)
    print(f"{len(vocabulary)} tokens; data {data.shape}, labels {labels.shape}")
    indices = np.arange(len(data))
    np.random.shuffle(indices)
    data, labels = data[indices], labels[indices].astype("float32")
    n_train, n_val = args.training_samples, args.validation_samples
    x_train, y_train = data[:n_train], labels[:n_train]
    x_val, y_val = data[n_train : n_train + n_val], labels[n_train : n_train + n_val]

    # GloVe: parse, and the embedding matrix aligned with the tokenizer's indices
    embedding_dim, found, embedding_matrix = 100, None, None
    if pretrained:
        embeddings_index, embedding_dim = parse_glove(glove_path, words=set(vocabulary))
        embedding_matrix, found = build_embedding_matrix(
            vocabulary, embeddings_index, embedding_dim
        )
        print(f"GloVe vectors for {found} of {len(vocabulary) - 2} words")

    # Model: the GloVe matrix loaded into the Embedding layer, which is frozen
    model = build_model(args.maxlen, len(vocabulary), embedding_dim, embedding_matrix)

    # Train, then score the test reviews
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=32,
        validation_data=(x_val, y_val),
        verbose=2,
    )
    run.save_figure(
        curves(history, ("accuracy", "loss"), title.removeprefix("IMDB raw text, ")), "_curves.png"
    )
    test_texts, test_labels = imdb.load_reviews(args.folders, "test")
    x_test = texts_to_sequences(vectorizer, test_texts, args.maxlen)
    test_loss, test_acc = model.evaluate(x_test, test_labels.astype("float32"), verbose=0)
    print(f"test_acc: {test_acc:.4f}")

    best = best_epoch(history, "val_accuracy", epoch_key="best_val_epoch")
    return run.finish(
        {
            **best,
            "test_accuracy": test_acc,
            "test_loss": test_loss,
            "vocabulary_size": len(vocabulary),
            "glove_words_found": found,
        }
    )


if __name__ == "__main__":
    flags.run(main)
