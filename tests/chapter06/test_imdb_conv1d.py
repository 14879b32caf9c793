"""Chapter 6, imdb_conv1d (notebook 6.4, cells 2 and 4): a 1D convnet on the last 500 words of
each review, RMSprop(1e-4); the model, its parameter count, the full profile and fit's
arguments. Its run, and the rows reaching fit: test_imdb_scripts.py."""

from ch06_helpers import describe_short, fit_keywords

from chapter06 import imdb_conv1d

FULL = imdb_conv1d.PROFILES["full"]


def test_imdb_conv1d_full_profile_model_is_the_books():
    model = imdb_conv1d.build_model(FULL["maxlen"], FULL["learning_rate"])
    assert describe_short(model) == {
        "input": (None, 500),
        "layers": [
            "Embedding(10000, 128)",
            "Conv1D(32, 7, relu)",
            "MaxPooling1D(5)",
            "Conv1D(32, 7, relu)",
            "GlobalMaxPooling1D()",
            "Dense(1, sigmoid)",  # the book: Dense(1) (see the script's build_model)
        ],
        "compile": "RMSprop(learning_rate=0.0001, epsilon=1e-16), loss=binary_crossentropy",
    }
    assert model.count_params() == 1315937  # 6.4, cell 4: Total params: 1,315,937


def test_imdb_conv1d_full_profile_settings_are_the_notebooks():
    # 6.4, cells 2 and 4: RMSprop(lr=1e-4)
    assert FULL == {"epochs": 10, "samples": None, "maxlen": 500, "learning_rate": 1e-4}
    fit = fit_keywords(imdb_conv1d)
    assert fit["epochs"] == "args.epochs"
    assert (fit["batch_size"], fit["validation_split"]) == ("128", "0.2")  # cell 4
