"""Chapter 6, imdb_embedding (notebook 6.1-using-word-embeddings, cells 8-9): Embedding(10000, 8)
+ Flatten + Dense on the last 20 words of each review; the model, its parameter count, the full
profile and fit's arguments. Its run, and the rows reaching fit: test_imdb_scripts.py."""

import pytest
from ch06_helpers import SHORT_BINARY, describe_short, fit_keywords

from chapter06 import imdb_embedding

FULL = imdb_embedding.PROFILES["full"]


def test_imdb_embedding_full_profile_model_is_the_books():
    model = imdb_embedding.build_model(FULL["maxlen"])
    assert describe_short(model) == {
        "input": (None, 20),
        "layers": ["Embedding(10000, 8)", "Flatten()", "Dense(1, sigmoid)"],
        "compile": SHORT_BINARY,
    }
    assert model.count_params() == 80161  # cell 9: Total params: 80,161


def test_imdb_embedding_full_profile_settings_are_the_notebooks():
    assert FULL == {"epochs": 10, "samples": None, "maxlen": 20}  # cells 8-9
    fit = fit_keywords(imdb_embedding)
    assert fit["epochs"] == "args.epochs"
    assert (fit["batch_size"], fit["validation_split"]) == ("32", "0.2")  # cell 9


@pytest.mark.realdata
def test_imdb_embedding_learns_on_real_imdb(real_data, tmp_path):
    result = imdb_embedding.main(
        ["--data-dir", str(real_data), "--output-dir", str(tmp_path), "--epochs", "2"]
    )
    assert result["metrics"]["best_val_accuracy"] > 0.70
    assert {s["kind"] for s in result["data"]} == {"real"}
