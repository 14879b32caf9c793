"""Chapter 6, one_hot_hashing (notebook 6.1-one-hot-encoding-of-words-or-characters, cell 11):
words hashed into 1,000 buckets with a hash that is the same in every process, the one-hot
array, the collisions counted and their probability; the script's run."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from ch06_helpers import saved
from support import REPO_ROOT

from chapter06 import one_hot_hashing
from chapter06.one_hot_hashing import (
    collision_probability,
    count_collisions,
    word_hash,
)
from chapter06.one_hot_hashing import (
    one_hot_hashing as encode,
)


def test_one_hot_hashing_shape_and_one_hot_rows():
    samples = ["The cat sat on the mat.", "a b c d e f g h i j k l"]
    out = encode(samples, dimensionality=1000, max_length=10)
    assert out.shape == (2, 10, 1000)
    sums = out.sum(axis=-1)
    assert sums[0].tolist() == [1] * 6 + [0] * 4  # 6 words, then padding rows
    assert sums[1].tolist() == [1] * 10  # cut at max_length
    # "The" (position 0) and "the" (position 4) are different words, in different buckets
    assert out[0, 0, 892] == 1 and out[0, 4, 79] == 1  # the buckets pinned below
    assert np.array_equal(np.flatnonzero(out[0, 1]), [888])  # "cat": its bucket, nothing else


# MD5-based buckets, computed once: the same in every process, whatever PYTHONHASHSEED says
# (Python's hash() of a str is salted per process).
PINNED_BUCKETS = {"The": 892, "the": 79, "cat": 888, "mat.": 267, "homework.": 416, "dog": 998}
PINNED_BUCKETS_2_31 = {"The": 593459044, "cat": 1648519564, "dog": 2057367443}
BOOK_SENTENCE_BUCKETS = {  # the 10 distinct words of the book's two samples, dimensionality 1000
    **{"The": 892, "ate": 343, "cat": 888, "dog": 998, "homework.": 416},
    **{"mat.": 267, "my": 680, "on": 629, "sat": 587, "the": 79},
}


def test_word_hash_is_pinned():
    assert {w: word_hash(w, 1000) for w in PINNED_BUCKETS} == PINNED_BUCKETS
    assert {w: word_hash(w, 2**31 - 1) for w in PINNED_BUCKETS_2_31} == PINNED_BUCKETS_2_31


def test_word_hash_is_the_same_in_a_process_with_another_hash_seed(tmp_path):
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    argv = ["--profile", "smoke", "--output-dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "chapter06" / "one_hot_hashing.py"), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / "chapter06" / "one_hot_hashing.smoke.json").read_text())
    here = {w: word_hash(w, 1000) for w in BOOK_SENTENCE_BUCKETS}
    assert saved["metrics"]["word_buckets"] == here  # that process's buckets = this one's
    assert here == BOOK_SENTENCE_BUCKETS


def test_collisions_counted():
    assert count_collisions(["a", "b", "c", "a"], dimensionality=1) == 3  # one bucket: all collide
    # w0..w9 into 10 buckets: w0 w4, w1 w8, w2 w7 and w3 w9 share theirs; w5 and w6 are alone
    words = [f"w{i}" for i in range(10)]
    assert [word_hash(w, 10) for w in words] == [4, 7, 2, 5, 4, 9, 6, 2, 7, 5]
    assert count_collisions(words, 10) == 8
    assert count_collisions(words + ["w1", "w1"], 10) == 8  # a repeated word is one word
    assert count_collisions(list(BOOK_SENTENCE_BUCKETS), 1000) == 0
    assert collision_probability(2, 1000) == pytest.approx(0.001)
    assert collision_probability(10, 1000) == pytest.approx(0.0441394, abs=1e-7)
    assert collision_probability(1001, 1000) == 1.0


def test_collision_probability_by_hand():
    # 1 - (1 - 0/4)(1 - 1/4)(1 - 2/4) = 1 - 3/8: a product over the words, not a sum
    assert collision_probability(3, 4) == pytest.approx(0.625)
    assert collision_probability(1, 4) == 0.0


def test_one_hot_hashing_smoke(out_dir):
    result = one_hot_hashing.main(["--profile", "smoke", "--output-dir", str(out_dir)])
    m = result["metrics"]
    assert m["shape"] == [2, 10, 1000] and m["distinct_words"] == 10
    assert m["word_buckets"] == BOOK_SENTENCE_BUCKETS and m["collisions"] == 0
    assert m["collision_probability"] == pytest.approx(0.0441394, abs=1e-7)
    saved(out_dir, result)
