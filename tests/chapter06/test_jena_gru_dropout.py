"""Chapter 6, jena_gru_dropout (notebook 6.3, cell 34): GRU(32) with dropout 0.2 and recurrent
dropout 0.2; its model, parameter count and full profile. Its run: test_jena_scripts.py."""

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

from chapter06 import jena_gru_dropout


def test_jena_gru_dropout_full_profile_model_is_the_books():
    # Keras 2's GRU(32) on 14 inputs: 3 gates x (14 x 32 + 32 x 32 + 32) = 4,512; + 33
    assert describe_long(jena_gru_dropout.build_model(JENA_FEATURES)) == {
        "input": (None, None, JENA_FEATURES),
        "layers": [gru(dropout=0.2, recurrent_dropout=0.2), DENSE_LINEAR],
        "compile": MAE,
        "params": gru_params(14, 32) + 33,
    }


def test_jena_gru_dropout_full_profile_is_the_notebooks():
    assert jena_gru_dropout.PROFILES["full"] == {**BOOK_JENA_FULL, "epochs": 40}  # cell 34
    assert_fits_with_the_profiles_jena_settings(jena_gru_dropout)


def test_jena_gru_dropout_book_numbers_are_cited_by_cell():
    assert_book_numbers_cited_by_cell(jena_gru_dropout)
