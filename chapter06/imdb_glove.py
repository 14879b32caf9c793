"""IMDB from raw text with pretrained GloVe word embeddings, frozen, on 200 training reviews.

Deep Learning with Python, section 6.1.3 (notebook 6.1-using-word-embeddings, cells 16-37). The raw
reviews of aclImdb/train are tokenized with `keras.layers.TextVectorization` (10,000 most frequent
words), each review becomes the indices of its last 100 known words (`keras.utils.pad_sequences`),
the reviews are shuffled, and only 200 are used for training (10,000 for validation): with so few
samples, pretrained embeddings should help. The GloVe file (glove.6B.100d.txt: 400,000 words x 100
floats, one word per line) is parsed into a word -> vector index, and an embedding matrix is built
whose row i is the vector of the tokenizer's word i (rows with no GloVe vector stay zero). That
matrix is loaded into an Embedding(10000, 100) layer, which is frozen; Flatten, Dense(32, relu),
Dense(1, sigmoid) on top. RMSprop, binary crossentropy, 10 epochs, batch 32; then the test reviews
(aclImdb/test) are scored.

Index alignment: row i of the matrix belongs to the word the tokenizer maps to index i, by
construction (`vectorizer.get_vocabulary()[i]`): row 0 is padding and row 1 the out-of-vocabulary
token, both zero. The notebook's matrix was aligned the same way: its `Tokenizer` numbered words
from 1, and the sequences and the matrix used those same indices (row 0 unused). As the book's
`Tokenizer` did, words outside the 10,000 are dropped from a review rather than mapped to the
OOV index.

The `learned_embedding` variant (`--glove none`) trains the same model with a trainable,
randomly initialized Embedding and no GloVe file: the book's comparison.

Book (notebook 6.1-using-word-embeddings): with GloVe (cell 28), validation accuracy best 0.5723
at epoch 8, 0.5413 after epoch 10, and test accuracy 0.5366 (cell 37); without pretrained
vectors (cell 32), best 0.5282 at epoch 7, 0.5264 after epoch 10 (the notebook prints no test
accuracy for it: its cell 37 loads the GloVe run's weights). The model overfits its 200 samples
fast, and results vary a lot with the 200 chosen. Both summaries (cells 23 and 32): 1,320,065
parameters (printed before the freezing).

Keras 2 -> 3: `Tokenizer(num_words=10000)` + `fit_on_texts` + `texts_to_sequences`
-> `TextVectorization(max_tokens=10000)` + `adapt` + calling it (the Tokenizer is gone); its default
standardization lower-cases and strips punctuation (the Tokenizer's filters kept apostrophes);
`preprocessing.sequence.pad_sequences` -> `keras.utils.pad_sequences`;
`model.layers[0].set_weights([embedding_matrix])` and `.trainable = False` are unchanged;
`metrics=['acc']` -> `["accuracy"]`. RMSprop is the book's: `epsilon=1e-16` inside the root is
Keras 2.0.8's 1e-8 outside it (dlwp.optimizers).

Data: raw IMDB reviews (datasets/aclImdb/ or aclImdb_v1.tar.gz) and `--glove PATH` (default
datasets/glove.6B.100d.txt in the data folders; from https://nlp.stanford.edu/data/glove.6B.zip).

Run:  python chapter06/imdb_glove.py [--profile smoke|quick|full] [--glove PATH | --glove none]
"""

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
    sequences = [[i for i in seq if i != OOV] for seq in sequences]
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
