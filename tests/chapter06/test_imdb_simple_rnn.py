"""Chapter 6, imdb_simple_rnn (notebook 6.2, cells 9-11): Embedding(10000, 32) + SimpleRNN(32);
the model, its parameter count, the full profile and fit's arguments. Its run, and the rows
reaching fit: test_imdb_scripts.py."""

from ch06_helpers import (
    BINARY,
    DENSE_SIGMOID,
    assert_book_numbers_cited_by_cell,
    describe_long,
    fit_keywords,
)

from chapter06 import imdb_simple_rnn


def test_imdb_simple_rnn_full_profile_model_is_the_books():
    # notebook 6.2 cell 4 prints Embedding(10000, 32) + SimpleRNN(32): 322,080; + Dense(1): 33
    model = imdb_simple_rnn.build_model(imdb_simple_rnn.PROFILES["full"]["maxlen"])
    assert describe_long(model) == {
        "input": (None, 500),
        "layers": [
            "Embedding(input_dim=10000, output_dim=32)",
            "SimpleRNN(units=32, activation=tanh, use_bias=True, dropout=0.0, "
            "recurrent_dropout=0.0, return_sequences=False, go_backwards=False)",
            DENSE_SIGMOID,
        ],
        "compile": BINARY,
        "params": 322080 + 33,
    }


def test_imdb_simple_rnn_full_profile_is_the_notebooks():
    assert imdb_simple_rnn.PROFILES["full"] == {"epochs": 10, "samples": None, "maxlen": 500}
    fit = fit_keywords(imdb_simple_rnn)
    assert fit["epochs"] == "args.epochs"
    assert fit["batch_size"] == "128" and fit["validation_split"] == "0.2"  # cell 11


def test_imdb_simple_rnn_book_numbers_are_cited_by_cell():
    assert_book_numbers_cited_by_cell(imdb_simple_rnn)
