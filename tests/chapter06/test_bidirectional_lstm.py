"""Chapter 6, bidirectional_lstm (notebook 6.3, cell 52): Bidirectional(LSTM(32)); the model,
its parameter count, the full profile and fit's arguments. Its runs (forward and --reversed),
and the rows reaching fit: test_imdb_scripts.py."""

from ch06_helpers import SHORT_BINARY, describe_short, fit_keywords, lstm_params

from chapter06 import bidirectional_lstm

FULL = bidirectional_lstm.PROFILES["full"]


def test_bidirectional_lstm_full_profile_model_is_the_books():
    model = bidirectional_lstm.build_model(FULL["maxlen"])
    assert describe_short(model) == {
        "input": (None, 500),
        "layers": [
            "Embedding(10000, 32)",
            "Bidirectional(LSTM(32, tanh))",
            "Dense(1, sigmoid)",
        ],
        "compile": SHORT_BINARY,
    }
    # no summary printed: 320,000 + 2 x 8,320 + Dense(1) on 64: 65
    assert model.count_params() == 10000 * 32 + 2 * lstm_params(32, 32) + 65 == 336705


def test_bidirectional_lstm_full_profile_settings_are_the_notebooks():
    assert FULL == {"epochs": 10, "samples": None, "maxlen": 500}  # 6.3, cells 47 and 52
    fit = fit_keywords(bidirectional_lstm)
    assert fit["epochs"] == "args.epochs"
    assert (fit["batch_size"], fit["validation_split"]) == ("128", "0.2")  # cell 52
