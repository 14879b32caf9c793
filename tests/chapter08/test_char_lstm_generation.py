"""Chapter 8, character-level text generation (notebook 8.1): the (60 characters, next character)
pairs cut every 3 characters from the lower-cased text, one-hot encoded, reaching fit; the
book's model and settings; generation at four temperatures."""

import math
from collections import Counter

import fakedata
import keras
import numpy as np
import pytest
from ch08_helpers import compiled, inputs, portable, specs
from fakedata.nietzsche import TINY_TEXT
from support import smoke_args

from chapter08 import char_lstm_generation
from dlwp.data import nietzsche
from dlwp.data.core import DataFolders
from dlwp.errors import UserError


@pytest.fixture(scope="module")
def text_data(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("nietzsche"))
    fakedata.write_nietzsche(root)
    return root


def test_extract_and_vectorize_sequences():
    text = "abcdefghij"
    sentences, next_chars = char_lstm_generation.extract_sequences(text, maxlen=4, step=3)
    assert sentences == ["abcd", "defg"] and next_chars == ["e", "h"]
    idx = {c: i for i, c in enumerate(sorted(set(text)))}
    x, y = char_lstm_generation.vectorize(sentences, next_chars, idx)
    assert x.shape == (2, 4, 10) and y.shape == (2, 10) and x.dtype == bool
    assert x.sum() == 8 and x[1, 0, idx["d"]] and y[1, idx["h"]] and y.sum() == 2
    # the per-batch pipeline gives the same one-hot data (order aside)
    ds = char_lstm_generation.one_hot_dataset(sentences, next_chars, idx, batch_size=8, seed=0)
    xb, yb = next(iter(ds))
    got = sorted(zip(map(bytes, np.asarray(xb, bool)), map(bytes, np.asarray(yb, bool))))
    assert got == sorted(zip(map(bytes, x), map(bytes, y)))


def test_char_lstm_model_is_listing_8_5s():
    model = char_lstm_generation.build_model(60, 57)
    assert inputs(model) == [((None, 60, 57), "float32")]
    assert specs(model) == ["LSTM(128, tanh)", "Dense(57, softmax)"]
    # the book's RMSprop(lr=0.01) (notebook 8.1, cell 9), no clipping
    assert compiled(model) == {
        "optimizer": "RMSprop(0.01, epsilon=1e-16)",
        "loss": "categorical_crossentropy",
    }
    # clipnorm=1.0: our guard against the book's divergence, only with --guard
    guarded = char_lstm_generation.build_model(60, 57, clipnorm=1.0)
    assert compiled(guarded) == {
        "optimizer": "RMSprop(0.01, epsilon=1e-16)",
        "clipnorm": 1.0,
        "loss": "categorical_crossentropy",
    }


def test_char_lstm_full_profile_is_the_books_run():
    """Notebook 8.1, cell 13: `for epoch in range(1, 60)` (59 epochs), batch 128, 400 characters
    per temperature, no guard; quick and smoke keep the guard on."""
    full = char_lstm_generation.parse_args(["--profile", "full"])
    assert (full.epochs, full.batch_size, full.gen_length, full.guard) == (59, 128, 400, False)
    assert full.max_chars is None
    assert char_lstm_generation.TEMPERATURES == (0.2, 0.5, 1.0, 1.2)
    assert char_lstm_generation.parse_args(["--profile", "quick"]).guard is True
    assert char_lstm_generation.parse_args(["--profile", "full", "--guard"]).guard is True
    assert char_lstm_generation.parse_args(["--profile", "quick", "--no-guard"]).guard is False
    book = char_lstm_generation.BOOK
    assert len(book["loss_per_epoch"]) == 59 and book["final_loss"] == book["loss_per_epoch"][-1]
    assert book["min_loss"] == min(book["loss_per_epoch"]) == book["loss_per_epoch"][53]


def test_temperatures_carry_the_text_over():
    """The notebook's loop (cell 13): each temperature starts from the last 60 characters of the
    previous one's text, not from the seed again."""
    keras.utils.set_random_seed(0)
    chars = "abcde"
    idx = {c: i for i, c in enumerate(chars)}
    model = char_lstm_generation.build_model(4, len(chars))
    texts = char_lstm_generation.generate_at_temperatures(
        model, "abca", (0.2, 0.5, 1.0), 6, idx, np.random.default_rng(0)
    )
    assert [start for start, _ in texts] == [
        "abca",
        ("abca" + texts[0][1])[-4:],
        (texts[0][1] + texts[1][1])[-4:],
    ]
    # the same draws as generate_text called from each of those starts
    rng = np.random.default_rng(0)
    for (start, generated), t in zip(texts, (0.2, 0.5, 1.0), strict=True):
        assert char_lstm_generation.generate_text(model, start, t, 6, idx, rng) == generated


def test_generate_text_at_low_temperature_is_greedy():
    """At T=0.01 each generated character is the model's most likely one: the same text as a
    greedy decoding written here (the temperature reaches `sample`)."""
    keras.utils.set_random_seed(0)
    chars = "abcde"
    idx = {c: i for i, c in enumerate(chars)}
    model = char_lstm_generation.build_model(4, len(chars))
    # sharper than at initialization (the top at least 1/0.88 times the runner-up), so that at
    # T=0.01 the argmax is all but certain, while at T=1 the draws still depart from it
    model.layers[-1].set_weights([w * 10 for w in model.layers[-1].get_weights()])
    seed = "abca"
    got = char_lstm_generation.generate_text(model, seed, 0.01, 12, idx, np.random.default_rng(0))
    text = seed
    for _ in range(12):
        x = np.eye(len(chars), dtype="float32")[[idx[c] for c in text[-4:]]][None]
        text += chars[int(np.argmax(model.predict_on_batch(x)[0]))]
    assert got == text[4:]
    warm = char_lstm_generation.generate_text(model, seed, 1.0, 12, idx, np.random.default_rng(0))
    assert warm != got  # at T=1, not the greedy text


def test_char_lstm_generation_smoke(text_data, out_dir, keras_calls):
    result = char_lstm_generation.main(smoke_args(text_data, out_dir))
    m = result["metrics"]
    assert len(m["loss_per_epoch"]) == 1 and math.isfinite(m["final_loss"])
    assert len(m["sample_T1.2"]) == 40 and set(m["sample_T0.2"]) <= set(TINY_TEXT.lower())
    assert m["text_file"] == "chapter08/char_lstm_generation.smoke.txt"
    text = (out_dir / m["text_file"]).read_text(encoding="utf-8")
    assert "temperature: 0.2" in text and "temperature: 1.2" in text
    # each temperature's text starts with the last 60 characters of the previous one's
    blocks = [b.split("\n", 1)[1] for b in text.split("------ temperature: ")[1:]]
    assert len(blocks) == 4 and all(b[100:] in ("\n", "\n\n") for b in blocks)
    blocks = [b[:100] for b in blocks]  # 60 characters to start from, 40 generated
    for previous, block in zip(blocks, blocks[1:]):
        assert block[:60] == previous[-60:]
    assert blocks[-1][60:] == m["sample_T1.2"]
    assert m["divergence_stop"] is None and m["min_loss"] == m["final_loss"]
    assert result["data"] == [
        {
            "file": "datasets/nietzsche.txt",
            "folder": "--data-dir",
            "what": "Nietzsche corpus",
            "kind": "made-for-tests",
        }
    ]
    assert portable(result, text_data, out_dir)

    # What reached fit, against the file read here: the text lower-cased, smoke's first 3,000
    # characters; every 60-character window starting at a multiple of 3 with the character after
    # it (notebook 8.1, cell 4), one-hot over the text's sorted characters. The pairs are checked
    # as a multiset: the dataset is shuffled, and the fake text has no repeated window.
    text = (text_data / "datasets" / "nietzsche.txt").read_text(encoding="utf-8").lower()[:3000]
    chars = sorted(set(text))
    expected = Counter((text[i : i + 60], text[i + 60]) for i in range(0, len(text) - 60, 3))
    assert len(expected) == len(range(0, len(text) - 60, 3)) == m["n_sequences"] == 980
    [fit] = keras_calls.of("fit")
    got, sizes = Counter(), []
    for x, y in fit.x:
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape[1:] == (60, len(chars)) and y.shape[1:] == (len(chars),)
        assert np.array_equal(x.sum(axis=-1), np.ones(x.shape[:2]))  # one-hot: one 1 a step
        assert np.array_equal(y.sum(axis=-1), np.ones(len(y))) and set(np.unique(x)) == {0, 1}
        for row, target in zip(x.argmax(axis=-1), y.argmax(axis=-1), strict=True):
            got["".join(chars[i] for i in row), chars[target]] += 1
        sizes.append(len(x))
    assert got == expected
    assert sizes[:-1] == [128] * (len(sizes) - 1)  # the book's batch of 128
    assert fit.epochs == 1 and fit.learning_rate == pytest.approx(0.01)  # one fit per epoch
    # generation starts from a 60-character window of the text (the seed)
    first = keras_calls.of("predict_on_batch")[0].x
    assert first.shape == (1, 60, len(chars))
    assert "".join(chars[i] for i in first[0].argmax(axis=-1)) in text


def test_char_lstm_rejects_too_short_text(tmp_path, out_dir):
    root = fakedata.new_data_root(tmp_path / "short")
    fakedata.write_nietzsche(root, "too short")
    with pytest.raises(UserError, match="at least"):
        char_lstm_generation.main(smoke_args(root, out_dir))


@pytest.mark.realdata
def test_real_nietzsche(real_data):
    data = DataFolders.resolve(real_data)
    text = nietzsche.load_text(data)
    assert len(text) == 600893  # the book's "Corpus length"
    sentences, _ = char_lstm_generation.extract_sequences(text.lower())
    assert len(sentences) == 200278 and len(set(text.lower())) == 57  # the book's counts
    assert [d["kind"] for d in data.read] == ["real"]
