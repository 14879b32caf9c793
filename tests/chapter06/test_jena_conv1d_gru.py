"""Chapter 6, jena_conv1d_gru (notebook 6.4, cell 16): Conv1D layers before a GRU, on a series
sampled every 3 rows; its parameter count and its full profile. Its run: test_jena_scripts.py."""

from ch06_helpers import (
    BOOK_JENA_FULL,
    JENA_FEATURES,
    SHORT_MAE,
    assert_fits_with_the_profiles_jena_settings,
    describe_short,
)

from chapter06 import jena_conv1d_gru

FULL = jena_conv1d_gru.PROFILES["full"]


def test_jena_conv1d_gru_full_profile_model_is_the_books():
    assert describe_short(jena_conv1d_gru.build_model(JENA_FEATURES)) == {
        "input": (None, None, 14),
        "layers": [
            "Conv1D(32, 5, relu)",
            "MaxPooling1D(3)",
            "Conv1D(32, 5, relu)",
            "GRU(32, tanh, dropout=0.1, recurrent_dropout=0.5, reset_after=False)",
            "Dense(1, linear)",
        ],
        "compile": SHORT_MAE,
    }


def test_jena_conv1d_gru_has_the_notebooks_parameter_count():
    # 6.4, cell 16: Total params: 13,697 (its GRU row: 6,240, a Keras 2 GRU(32) on 32)
    assert jena_conv1d_gru.build_model(JENA_FEATURES).count_params() == 13697


def test_jena_conv1d_gru_full_profile_settings_are_the_notebooks():
    # 6.4, cells 14 and 16: lookback 720, step 3, 20 epochs
    assert FULL == {**BOOK_JENA_FULL, "lookback": 720, "step": 3, "epochs": 20}
    assert_fits_with_the_profiles_jena_settings(jena_conv1d_gru)
    end, start, lookback = FULL["val_end"], FULL["train_end"] + 1, FULL["lookback"]
    assert (end - start - lookback) // FULL["batch_size"] == 775  # the notebook's val_steps
