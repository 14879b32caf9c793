"""Chapter 6, jena_stacked_gru (notebook 6.3, cell 38): two GRUs with dropout, its parameter
count, its full profile and its dropout flag. Its run: test_jena_scripts.py."""

import pytest
from ch06_helpers import (
    BOOK_JENA_FULL,
    JENA_FEATURES,
    SHORT_MAE,
    assert_fits_with_the_profiles_jena_settings,
    describe_short,
    gru_params,
)
from support import smoke_args

from chapter06 import jena_stacked_gru
from dlwp.errors import UserError

FULL = jena_stacked_gru.PROFILES["full"]


def test_jena_stacked_gru_full_profile_model_is_the_books():
    model = jena_stacked_gru.build_model(JENA_FEATURES, FULL["recurrent_dropout"])
    assert describe_short(model) == {
        "input": (None, None, 14),
        "layers": [
            "GRU(32, tanh, dropout=0.1, recurrent_dropout=0.5, return_sequences=True, "
            "reset_after=False)",
            "GRU(64, relu, dropout=0.1, recurrent_dropout=0.5, reset_after=False)",
            "Dense(1, linear)",
        ],
        "compile": SHORT_MAE,
    }


def test_jena_stacked_gru_has_the_notebooks_parameter_count():
    # 6.3, cell 38 prints no summary: 4,512 + GRU(64) on 32: 18,624 + Dense(1) on 64: 65
    assert gru_params(14, 32) + gru_params(32, 64) + 65 == 23201
    assert jena_stacked_gru.build_model(JENA_FEATURES, 0.5).count_params() == 23201


def test_jena_stacked_gru_full_profile_settings_are_the_notebooks():
    # 6.3, cells 17 and 38: 40 epochs, recurrent_dropout 0.5
    assert FULL == {**BOOK_JENA_FULL, "epochs": 40, "recurrent_dropout": 0.5}
    assert_fits_with_the_profiles_jena_settings(jena_stacked_gru)
    end, start, lookback = FULL["val_end"], FULL["train_end"] + 1, FULL["lookback"]
    assert (end - start - lookback) // FULL["batch_size"] == 769  # the notebook's val_steps


def test_stacked_gru_rejects_a_bad_dropout(empty_data, out_dir):
    # checked before any data is read
    with pytest.raises(UserError, match="--recurrent-dropout") as exc:
        jena_stacked_gru.main(smoke_args(empty_data, out_dir, "--recurrent-dropout", "1.5"))
    assert "[0, 1)" in exc.value.fix
