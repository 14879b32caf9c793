"""Chapter 6, the six IMDB word-index scripts (imdb_embedding, imdb_simple_rnn, imdb_lstm,
imdb_reversed_lstm, bidirectional_lstm and its --reversed variant, imdb_conv1d), each run once
on an extracted aclImdb/ folder and a word index written here. What reaches fit is checked
against those files read here: the training rows are the first `samples` reviews of Keras'
seed-113 shuffle of the training split (none of the test split), each with its own label; a
review is its word ranks + 3 after the start index 1, ranks from 9,997 on (index 10,000 and up)
the OOV index 2, words outside the index dropped; cut or padded at its start to maxlen (its last
maxlen words), or reversed first (its first maxlen words, last word first) where the book
reverses; epochs, batch size, the 20% validation split and the learning rate are the book's or
the profile's."""

from types import SimpleNamespace

import numpy as np
import pytest
from ch06_helpers import finite, pre_pad, read_imdb_folder, saved
from fakedata.core import new_data_root
from fakedata.imdb import IMDB_PER_CLASS, write_imdb_folder
from support import KerasCalls, isolated_env, row_index, smoke_args

from chapter06 import (
    bidirectional_lstm,
    imdb_conv1d,
    imdb_embedding,
    imdb_lstm,
    imdb_reversed_lstm,
    imdb_simple_rnn,
)

SAMPLES = 200  # the smoke profiles' training reviews (of the folder's 260)
# case: (script, extra flags, what must reach fit). Some runs give flags, so that a setting
# the script took from elsewhere than its flags shows.
CASES = {
    "imdb_embedding": (imdb_embedding, ["--epochs", "3"], (3, 20, 32, 1e-3, False)),
    "imdb_simple_rnn": (imdb_simple_rnn, ["--epochs", "2"], (2, 50, 128, 1e-3, False)),
    "imdb_lstm": (imdb_lstm, [], (1, 50, 128, 1e-3, False)),
    "imdb_reversed_lstm": (imdb_reversed_lstm, ["--epochs", "2"], (2, 50, 128, 1e-3, True)),
    "bidirectional_lstm": (bidirectional_lstm, [], (1, 50, 128, 1e-3, False)),
    "bidirectional_lstm@reversed": (bidirectional_lstm, ["--reversed"], (1, 50, 128, 1e-3, True)),
    "imdb_conv1d": (imdb_conv1d, ["--maxlen", "45"], (1, 45, 128, 1e-4, False)),
}


@pytest.fixture(scope="module")
def imdb_folder(tmp_path_factory):
    root = new_data_root(tmp_path_factory.mktemp("imdb_folder"))
    write_imdb_folder(root)
    return root


@pytest.fixture(scope="module")
def reviews(imdb_folder):
    """The folder read here, and Keras' load_data order: RandomState(113) shuffles the
    training reviews (neg then pos, by id)."""
    train, train_labels = read_imdb_folder(imdb_folder, "train")
    test, test_labels = read_imdb_folder(imdb_folder, "test")
    assert len(train) == 2 * IMDB_PER_CLASS["train"] and len(test) == 2 * IMDB_PER_CLASS["test"]
    order = np.arange(len(train))
    np.random.RandomState(113).shuffle(order)
    return SimpleNamespace(
        train=train, train_labels=train_labels, test=test, test_labels=test_labels, order=order
    )


@pytest.fixture(scope="module")
def runs(imdb_folder, test_cache, tmp_path_factory):
    """Each case run once, when a test first asks for it: its result and what reached Keras."""
    done = {}

    def get(case):
        if case not in done:
            script, extra, _ = CASES[case]
            out = tmp_path_factory.mktemp(case.replace("@", "_")) / "results"
            with pytest.MonkeyPatch.context() as mp, KerasCalls() as calls:
                isolated_env(mp, test_cache)
                result = script.main(smoke_args(imdb_folder, out, *extra))
            [fit] = calls.of("fit")
            done[case] = SimpleNamespace(result=result, calls=calls, fit=fit, out=out)
        return done[case]

    return get


@pytest.mark.parametrize("case", CASES)
def test_imdb_script_smoke_results(case, runs):
    script, _, (epochs, maxlen, *_) = CASES[case]
    run = runs(case)
    result, m = run.result, run.result["metrics"]
    assert set(m) == {"best_val_accuracy", "best_val_epoch", "final_val_accuracy", "history"}
    assert set(script.BOOK) <= set(m)
    val = m["history"]["val_accuracy"]
    assert len(val) == epochs and m["best_val_accuracy"] == max(val)
    assert m["best_val_epoch"] == int(np.argmax(val)) + 1 and m["final_val_accuracy"] == val[-1]
    assert set(m["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert finite(m["history"]["loss"])
    assert result["settings"]["maxlen"] == maxlen and result["settings"]["samples"] == SAMPLES
    assert result["settings"]["epochs"] == epochs
    assert result["figures"] == [f"chapter06/{case}.smoke_curves.png"]
    saved(run.out, result)
    assert {s["kind"] for s in result["data"]} == {"made-for-tests"}
    assert {s["what"] for s in result["data"]} >= {"IMDB raw reviews (aclImdb)", "IMDB word index"}


@pytest.mark.parametrize("case", CASES)
def test_imdb_training_rows_are_the_first_shuffled_reviews_prepared_the_books_way(
    case, runs, reviews
):
    _, _, (_, maxlen, _, _, reverse) = CASES[case]
    fit = runs(case).fit
    prepare = (lambda s: s[::-1]) if reverse else (lambda s: s)
    train_rows = pre_pad([prepare(s) for s in reviews.train], maxlen)
    test_rows = pre_pad([prepare(s) for s in reviews.test], maxlen)
    both = np.concatenate([train_rows, test_rows])
    assert len({r.tobytes() for r in both}) == len(both)  # every review tells itself apart
    assert fit.x.shape == (SAMPLES, maxlen) and np.issubdtype(fit.x.dtype, np.integer)
    idx = row_index(fit.x, train_rows)
    assert (row_index(fit.x, test_rows) < 0).all(), "a test review reached fit"
    assert (idx >= 0).all(), (
        f"{(idx < 0).sum()} rows are not training reviews prepared the book's way "
        f"(maxlen {maxlen}, {'reversed, then ' if reverse else ''}cut and padded at the start)"
    )
    np.testing.assert_array_equal(idx, reviews.order[:SAMPLES])  # load_data's order, the first
    np.testing.assert_array_equal(fit.y, reviews.train_labels[idx])  # each review's own label
    assert set(np.unique(fit.y)) == {0, 1}
    # the word index cut: ranks 9,997 and up are the OOV index 2; nothing at 10,000 or above
    assert fit.x.max() == 9999 and (fit.x == 2).any()


@pytest.mark.parametrize("case", CASES)
def test_imdb_fit_settings_are_the_books(case, runs):
    _, _, (epochs, maxlen, batch_size, learning_rate, _) = CASES[case]
    fit = runs(case).fit
    assert (fit.epochs, fit.batch_size) == (epochs, batch_size)
    # Keras holds out the last 20% of the rows given: the book's validation_split
    assert fit.validation_split == 0.2 and fit.args.get("validation_data") is None
    assert fit.learning_rate == pytest.approx(learning_rate)
    assert fit.model.input_shape == (None, maxlen)
    assert fit.model.loss == "binary_crossentropy"


def test_bidirectional_lstm_reversed_variant(runs):
    """--reversed: the notebook's run (reviews reversed, then padded), kept under its own name."""
    forward, reversed_ = runs("bidirectional_lstm").result, runs("bidirectional_lstm@reversed")
    result = reversed_.result
    assert forward["variant"] is None and forward["settings"]["reversed"] is False
    assert result["variant"] == "reversed" and result["settings"]["reversed"] is True
    assert result["book"] == bidirectional_lstm.BOOKS["reversed"]
    assert (reversed_.out / "chapter06" / "bidirectional_lstm@reversed.smoke.json").is_file()
    assert set(result["metrics"]) == set(forward["metrics"])
    # same seed and model: only the order of the words differs, so the training does
    assert result["metrics"]["history"]["loss"] != forward["metrics"]["history"]["loss"]
