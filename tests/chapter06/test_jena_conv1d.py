"""Chapter 6, jena_conv1d (notebook 6.4, cell 9): three Conv1D layers and a global max pool on
the Jena windows; its model, parameter count and full profile. Its run: test_jena_scripts.py."""

from ch06_helpers import (
    BOOK_JENA_FULL,
    CONV5,
    DENSE_LINEAR,
    JENA_FEATURES,
    MAE,
    POOL3,
    assert_book_numbers_cited_by_cell,
    assert_fits_with_the_profiles_jena_settings,
    describe_long,
)

from chapter06 import jena_conv1d


def test_jena_conv1d_full_profile_model_is_the_books():
    # (5 x 14 x 32 + 32) + 2 x (5 x 32 x 32 + 32) + 33
    assert describe_long(jena_conv1d.build_model(JENA_FEATURES)) == {
        "input": (None, None, JENA_FEATURES),
        "layers": [CONV5, POOL3, CONV5, POOL3, CONV5, "GlobalMaxPooling1D()", DENSE_LINEAR],
        "compile": MAE,
        "params": 2272 + 2 * 5152 + 33,
    }


def test_jena_conv1d_full_profile_is_the_notebooks():
    # 6.4, cells 8 (the generators of 6.3) and 9 (20 epochs)
    assert jena_conv1d.PROFILES["full"] == {**BOOK_JENA_FULL, "epochs": 20}
    assert_fits_with_the_profiles_jena_settings(jena_conv1d)


def test_jena_conv1d_book_numbers_are_cited_by_cell():
    assert_book_numbers_cited_by_cell(jena_conv1d)
