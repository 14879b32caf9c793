"""Chapter 6, jena_bidirectional_gru (notebook 6.3, cell 54): Bidirectional(GRU(32)); its model,
parameter count and full profile. Its run: test_jena_scripts.py."""

from ch06_helpers import (
    BOOK_JENA_FULL,
    DENSE_LINEAR,
    JENA_FEATURES,
    MAE,
    assert_book_numbers_cited_by_cell,
    assert_fits_with_the_profiles_jena_settings,
    describe_long,
    gru,
    gru_params,
)

from chapter06 import jena_bidirectional_gru


def test_jena_bidirectional_gru_full_profile_model_is_the_books():
    # two GRUs of 4,512, then Dense(1) on the 64 concatenated units: 65
    assert describe_long(jena_bidirectional_gru.build_model(JENA_FEATURES)) == {
        "input": (None, None, JENA_FEATURES),
        "layers": [
            f"Bidirectional({gru()}, merge_mode=concat, backward={gru(backwards=True)})",
            DENSE_LINEAR,
        ],
        "compile": MAE,
        "params": 2 * gru_params(14, 32) + 65,
    }


def test_jena_bidirectional_gru_full_profile_is_the_notebooks():
    assert jena_bidirectional_gru.PROFILES["full"] == {**BOOK_JENA_FULL, "epochs": 40}  # cell 54
    assert_fits_with_the_profiles_jena_settings(jena_bidirectional_gru)


def test_jena_bidirectional_gru_book_numbers_are_cited_by_cell():
    assert_book_numbers_cited_by_cell(jena_bidirectional_gru)
