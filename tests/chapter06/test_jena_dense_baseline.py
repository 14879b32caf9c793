"""Chapter 6, jena_dense_baseline (notebook 6.3, cell 24): Flatten + Dense(32) on the Jena
windows; its model, parameter count and full profile. Its run: test_jena_scripts.py."""

from ch06_helpers import (
    BOOK_JENA_FULL,
    DENSE_LINEAR,
    JENA_FEATURES,
    MAE,
    assert_book_numbers_cited_by_cell,
    assert_fits_with_the_profiles_jena_settings,
    describe_long,
)

from chapter06 import jena_dense_baseline
from dlwp.jena_series import BOOK_SETTINGS


def test_jena_dense_baseline_full_profile_model_is_the_books():
    # no summary in 6.3: the count the listing implies. Flatten: 240 timesteps x 14 = 3,360
    # inputs -> Dense(32): 3360 x 32 + 32; Dense(1): 33
    timesteps = BOOK_SETTINGS["lookback"] // BOOK_SETTINGS["step"]
    assert describe_long(jena_dense_baseline.build_model(timesteps, JENA_FEATURES)) == {
        "input": (None, 240, JENA_FEATURES),
        "layers": [
            "Flatten()",
            "Dense(units=32, activation=relu, use_bias=True)",
            DENSE_LINEAR,
        ],
        "compile": MAE,
        "params": 3360 * 32 + 32 + 33,
    }


def test_jena_dense_baseline_full_profile_is_the_notebooks():
    assert jena_dense_baseline.PROFILES["full"] == {**BOOK_JENA_FULL, "epochs": 20}  # cell 24
    assert_fits_with_the_profiles_jena_settings(jena_dense_baseline)


def test_jena_dense_baseline_book_numbers_are_cited_by_cell():
    assert_book_numbers_cited_by_cell(jena_dense_baseline)
