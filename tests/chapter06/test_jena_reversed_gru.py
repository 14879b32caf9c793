"""Chapter 6, jena_reversed_gru (notebook 6.3, cells 43-44): GRU(32) on windows reversed in
time; its model, full profile, and the reversing generator. Its run, and the reversed windows
reaching fit: test_jena_scripts.py."""

import ast

import numpy as np
from ch06_helpers import (
    BOOK_JENA_FULL,
    DENSE_LINEAR,
    JENA_FEATURES,
    MAE,
    assert_book_numbers_cited_by_cell,
    assert_fits_with_the_profiles_jena_settings,
    describe_long,
    fit_keywords,
    gru,
    gru_params,
    main_of,
)

from chapter06 import jena_reversed_gru
from dlwp import jena_series


def test_jena_reversed_gru_full_profile_model_is_the_books():
    assert describe_long(jena_reversed_gru.build_model(JENA_FEATURES)) == {
        "input": (None, None, JENA_FEATURES),
        "layers": [gru(), DENSE_LINEAR],
        "compile": MAE,
        "params": gru_params(14, 32) + 33,
    }


def test_jena_reversed_gru_full_profile_is_the_notebooks():
    assert jena_reversed_gru.PROFILES["full"] == {**BOOK_JENA_FULL, "epochs": 20}  # cell 44
    assert_fits_with_the_profiles_jena_settings(jena_reversed_gru)


def test_jena_reversed_gru_book_numbers_are_cited_by_cell():
    assert_book_numbers_cited_by_cell(jena_reversed_gru)


def test_reverse_order_yields_the_books_batches_reversed_in_time():
    series = np.arange(3000 * 3, dtype="float32").reshape(3000, 3)
    settings = {"lookback": 60, "delay": 12, "min_index": 0, "max_index": 2000, "step": 6}
    forward = jena_series.generator(series, batch_size=8, **settings)
    reverse = jena_reversed_gru.reverse_order(
        jena_series.generator(series, batch_size=8, **settings)
    )
    for _ in range(3):
        (samples, targets), (reversed_samples, reversed_targets) = next(forward), next(reverse)
        np.testing.assert_array_equal(reversed_samples, samples[:, ::-1, :])
        np.testing.assert_array_equal(reversed_targets, targets)
    # the first timestep is the most recent row: one step before the row the target follows
    rows = (reversed_targets - 1) / 3 - 12  # series[r, 1] = 3r + 1, target = series[row + 12]
    np.testing.assert_array_equal(reversed_samples[:, 0, 0], (rows - 6) * 3)


def test_jena_reversed_gru_fits_on_the_reversed_generators():
    reversed_names = {
        t.id
        for n in ast.walk(main_of(jena_reversed_gru))
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Tuple)
        for t, v in zip(n.targets[0].elts, n.value.elts)
        if isinstance(v, ast.Call) and getattr(v.func, "id", None) == "reverse_order"
    }
    fit = fit_keywords(jena_reversed_gru)
    assert fit["_args"][0] in reversed_names and fit["validation_data"] in reversed_names
    assert fit["_args"][0] != fit["validation_data"]
