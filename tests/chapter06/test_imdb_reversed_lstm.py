"""Chapter 6, imdb_reversed_lstm (notebook 6.3, cell 47): reviews reversed, then padded, into
Embedding(10000, 128) + LSTM(32); the model, the full profile and the reversing step. Its run,
and the reversed rows reaching fit: test_imdb_scripts.py."""

import numpy as np
from ch06_helpers import (
    BINARY,
    DENSE_SIGMOID,
    assert_book_numbers_cited_by_cell,
    calls_in,
    describe_long,
    fit_keywords,
    main_of,
)

from chapter06 import imdb_reversed_lstm
from dlwp.data import imdb
from dlwp.data.core import DataFolders


def test_imdb_reversed_lstm_full_profile_model_is_the_books():
    # 4 gates x (128 x 32 + 32 x 32 + 32) = 20,608 after the 1,280,000 embedding weights
    model = imdb_reversed_lstm.build_model(imdb_reversed_lstm.PROFILES["full"]["maxlen"])
    assert describe_long(model) == {
        "input": (None, 500),
        "layers": [
            "Embedding(input_dim=10000, output_dim=128)",
            "LSTM(units=32, activation=tanh, recurrent_activation=sigmoid, use_bias=True, "
            "dropout=0.0, recurrent_dropout=0.0, return_sequences=False, go_backwards=False)",
            DENSE_SIGMOID,
        ],
        "compile": BINARY,
        "params": 1280000 + 20608 + 33,
    }


def test_imdb_reversed_lstm_full_profile_is_the_notebooks():
    assert imdb_reversed_lstm.PROFILES["full"] == {"epochs": 10, "samples": None, "maxlen": 500}
    fit = fit_keywords(imdb_reversed_lstm)
    assert fit["epochs"] == "args.epochs"
    assert fit["batch_size"] == "128" and fit["validation_split"] == "0.2"  # cell 47


def test_imdb_reversed_lstm_book_numbers_are_cited_by_cell():
    assert_book_numbers_cited_by_cell(imdb_reversed_lstm)


def test_reverse_and_pad_reverses_then_pads_keeping_the_first_words():
    sequences = [[1, 2, 3], [4, 5, 6, 7, 8, 9]]
    padded = imdb_reversed_lstm.reverse_and_pad(sequences, maxlen=4)
    np.testing.assert_array_equal(padded, [[0, 3, 2, 1], [7, 6, 5, 4]])
    assert sequences == [[1, 2, 3], [4, 5, 6, 7, 8, 9]]  # the input is left as it was


def test_imdb_reversed_lstm_trains_on_reversed_reviews(tiny_data):
    """main's data step: the reviews of imdb.load_data, each reversed, then padded."""
    assert "reverse_and_pad" in calls_in(main_of(imdb_reversed_lstm))
    (x_train, _), _ = imdb.load_data(DataFolders.resolve(tiny_data), num_words=10000)
    padded = imdb_reversed_lstm.reverse_and_pad(x_train[:20], 50)
    for review, row in zip(x_train[:20], padded):
        kept = min(len(review), 50)
        np.testing.assert_array_equal(row[-kept:], review[:kept][::-1])
        assert not row[:-kept].any()
