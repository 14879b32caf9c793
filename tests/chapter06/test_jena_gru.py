"""Chapter 6, jena_gru (notebook 6.3, cell 29): the book's GRU(32), its parameter count and its
full profile. Its run, and the windows it trains on: test_jena_scripts.py."""

from ch06_helpers import (
    BOOK_JENA_FULL,
    JENA_FEATURES,
    SHORT_MAE,
    assert_fits_with_the_profiles_jena_settings,
    describe_short,
    gru_params,
)

from chapter06 import jena_gru


def test_jena_gru_full_profile_model_is_the_books():
    assert describe_short(jena_gru.build_model(JENA_FEATURES)) == {
        "input": (None, None, 14),
        "layers": ["GRU(32, tanh, reset_after=False)", "Dense(1, linear)"],
        "compile": SHORT_MAE,
    }


def test_jena_gru_has_the_notebooks_parameter_count():
    # 6.3, cell 29 prints no summary: GRU(32) on 14 inputs, 4,512, + Dense(1), 33
    assert gru_params(14, 32) + 33 == 4545
    assert jena_gru.build_model(JENA_FEATURES).count_params() == 4545


def test_jena_gru_full_profile_settings_are_the_notebooks():
    # 6.3, cells 17 and 29: 20 epochs of 500 steps
    assert jena_gru.PROFILES["full"] == {**BOOK_JENA_FULL, "epochs": 20}
    assert_fits_with_the_profiles_jena_settings(jena_gru)


def test_jena_gru_full_validation_covers_the_notebooks_val_steps():
    """val_steps None: all of (300000 - 200001 - lookback) // 128 batches, as the notebook."""
    full = jena_gru.PROFILES["full"]
    end, start, lookback = full["val_end"], full["train_end"] + 1, full["lookback"]
    assert (end - start - lookback) // full["batch_size"] == 769
