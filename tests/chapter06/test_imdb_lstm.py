"""Chapter 6, imdb_lstm (notebook 6.2, cells 9 and 16): Embedding(10000, 32) + LSTM(32) on the
last 500 words of each review; the model, its parameter count, the full profile and fit's
arguments. Its run, and the rows reaching fit: test_imdb_scripts.py."""

from ch06_helpers import SHORT_BINARY, describe_short, fit_keywords, lstm_params

from chapter06 import imdb_lstm

FULL = imdb_lstm.PROFILES["full"]


def test_imdb_lstm_full_profile_model_is_the_books():
    model = imdb_lstm.build_model(FULL["maxlen"])
    assert describe_short(model) == {
        "input": (None, 500),
        "layers": ["Embedding(10000, 32)", "LSTM(32, tanh)", "Dense(1, sigmoid)"],
        "compile": SHORT_BINARY,
    }
    # 6.2, cell 16 prints no summary: 320,000 + LSTM(32) on 32: 8,320 + Dense 33
    assert model.count_params() == 10000 * 32 + lstm_params(32, 32) + 33 == 328353


def test_imdb_lstm_full_profile_settings_are_the_notebooks():
    assert FULL == {"epochs": 10, "samples": None, "maxlen": 500}  # 6.2, cells 9 and 16
    fit = fit_keywords(imdb_lstm)
    assert fit["epochs"] == "args.epochs"
    assert (fit["batch_size"], fit["validation_split"]) == ("128", "0.2")  # cell 16
