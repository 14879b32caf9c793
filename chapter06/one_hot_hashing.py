"""Word-level one-hot encoding with the hashing trick (no explicit word index).

Deep Learning with Python, section 6.1.1 (listing 6.4; notebook
6.1-one-hot-encoding-of-words-or-characters, cell 11). Every word is hashed into one of 1,000
buckets instead of being looked up in a word index; the first 10 words of each sample become
one-hot vectors: shape (samples, 10, 1000). This saves memory and works online, but two words can
land in the same bucket (a collision), and the model can then no longer tell them apart: the
script counts the collisions in the book's two sentences and gives the birthday-problem
probability that at least one pair collides.

Book: shape (2, 10, 1000), what the listing's settings make; the notebook's cell 11 prints
nothing.

Run:  python chapter06/one_hot_hashing.py
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import hashlib

import keras
import numpy as np

from dlwp import flags, results

DIMENSIONALITY = 1000  # words hashed into this many buckets
MAX_LENGTH = 10  # words kept per sample
# 6.1-one-hot-encoding-of-words-or-characters, cell 11 prints nothing: the shape its settings make
BOOK = {"shape": [2, 10, 1000], "collisions": None}
SAMPLES = ["The cat sat on the mat.", "The dog ate my homework."]


def word_hash(word, dimensionality):
    """A stable hash of `word` into [0, dimensionality)."""
    # The book's hash() is salted per process (PYTHONHASHSEED); MD5 gives the same buckets in every
    # run. In a Keras model, keras.layers.Hashing(num_bins=1000) does this job as a layer.
    digest = hashlib.md5(word.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little") % dimensionality


def one_hot_hashing(samples, dimensionality=1000, max_length=10):
    """(len(samples), max_length, dimensionality) float32: word j of sample i is one-hot."""
    out = np.zeros((len(samples), max_length, dimensionality), dtype="float32")
    for i, sample in enumerate(samples):
        # split on whitespace, as in the book: "mat." keeps its period
        for j, word in list(enumerate(sample.split()))[:max_length]:
            out[i, j, word_hash(word, dimensionality)] = 1.0
    return out


def count_collisions(words, dimensionality):
    """How many distinct words share their bucket with another distinct word."""
    buckets = {}
    for word in set(words):
        buckets.setdefault(word_hash(word, dimensionality), set()).add(word)
    return sum(len(ws) for ws in buckets.values() if len(ws) > 1)


def collision_probability(num_words, dimensionality):
    """P(at least two of num_words distinct words share a bucket), for a uniform hash."""
    return 1.0 - float(np.prod(1 - np.arange(num_words) / dimensionality))


def parse_args(argv=None):
    parser = flags.parser(__doc__, None)
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "One-hot encoding with the hashing trick", BOOK)
    encoded = one_hot_hashing(SAMPLES, DIMENSIONALITY, MAX_LENGTH)
    words = sorted({w for s in SAMPLES for w in s.split()[:MAX_LENGTH]})
    collisions = count_collisions(words, DIMENSIONALITY)
    probability = collision_probability(len(words), DIMENSIONALITY)
    print(f"encoded shape {encoded.shape}; {len(words)} distinct words, {collisions} collide")
    for word in words:
        print(f"  {word!r:12} -> {word_hash(word, DIMENSIONALITY)}")
    return run.finish(
        {
            "shape": list(encoded.shape),
            "collisions": collisions,
            "distinct_words": len(words),
            "collision_probability": probability,
            "word_buckets": {w: word_hash(w, DIMENSIONALITY) for w in words},
        }
    )


if __name__ == "__main__":
    flags.run(main)
