"""Chapter 6, the eight Jena networks, each run once on a 1,000-row CSV: what reaches fit is
checked against the CSV read here (not with dlwp's loader or generator). Every sample is the
window series[r - lookback : r : step] of the series normalised with the TRAINING rows' mean
and std (reversed in time for jena_reversed_gru), its target the temperature of row r + delay;
training rows are drawn at random from [lookback, train_end), validation rows go in order from
train_end + 1 + lookback; epochs, steps and validation steps are the profile's. Also: a missing
or bad CSV is one clear error for every Jena script."""

from types import SimpleNamespace

import fakedata
import numpy as np
import pytest
from ch06_helpers import name, normalised, read_jena_csv, saved, window_rows
from fakedata.jena import JENA_HEADER
from support import KerasCalls, isolated_env, own_calls, smoke_args

from chapter06 import (
    jena_bidirectional_gru,
    jena_conv1d,
    jena_conv1d_gru,
    jena_dense_baseline,
    jena_generator,
    jena_gru,
    jena_gru_dropout,
    jena_reversed_gru,
    jena_stacked_gru,
)
from dlwp import flags
from dlwp.errors import MissingData

JENA_CSV = "datasets/jena_climate_2009_2016.csv"
JENA_ZIP = "datasets/jena_climate_2009_2016.csv.zip"
TEMPERATURE = 1  # "T (degC)", once "Date Time" is dropped

# The smoke profiles, written out here: a few hundred rows of the 1,000-row CSV for training
# (0-500), validation (501-800); 3 training steps, 2 validation steps, 1 epoch.
SMOKE = {"lookback": 60, "step": 6, "delay": 12, "batch_size": 16, "train_end": 500}
SMOKE |= {"val_end": 800, "epochs": 1, "steps_per_epoch": 3, "val_steps": 2}
NETWORKS = {
    jena_dense_baseline: SMOKE,
    jena_gru: SMOKE,
    jena_gru_dropout: SMOKE,
    jena_stacked_gru: {**SMOKE, "recurrent_dropout": 0.5},
    jena_reversed_gru: SMOKE,
    jena_bidirectional_gru: SMOKE,
    jena_conv1d: {**SMOKE, "lookback": 72, "step": 1},  # 72 rows: enough for its 3 convolutions
    jena_conv1d_gru: {**SMOKE, "step": 3},
}
REVERSED = {jena_reversed_gru}  # the time axis of every input reversed (cell 43)
ALL_JENA = [jena_generator, *NETWORKS]


@pytest.fixture(scope="module")
def jena_data(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("jena_data"))
    fakedata.write_jena(root)
    return root


@pytest.fixture(scope="module")
def csv_values(jena_data):
    return read_jena_csv(jena_data / JENA_CSV)


@pytest.fixture(scope="module", params=list(NETWORKS), ids=name)
def run(request, jena_data, test_cache, tmp_path_factory):
    """One smoke run of a network script: its result and what reached Keras."""
    script = request.param
    out = tmp_path_factory.mktemp(name(script)) / "results"
    with pytest.MonkeyPatch.context() as mp, KerasCalls() as calls:
        isolated_env(mp, test_cache)
        result = script.main(smoke_args(jena_data, out))
    [fit] = calls.of("fit")
    return SimpleNamespace(
        script=script, result=result, fit=fit, out=out, s=NETWORKS[script], calls=calls
    )


def test_jena_smoke_profiles_are_the_ones_checked_here():
    for script, smoke in NETWORKS.items():
        assert script.PROFILES["smoke"] == smoke, name(script)


def test_jena_network_smoke_results(run, csv_values):
    m = run.result["metrics"]
    assert set(m) == {
        "best_val_mae",
        "best_val_epoch",
        "final_val_mae",
        "best_val_mae_celsius",
        "history",
        "val_steps",
    }
    assert set(run.script.BOOK) <= set(m)
    assert m["best_val_mae"] == m["final_val_mae"] == m["history"]["val_loss"][0]  # MAE = loss
    assert np.isfinite(m["best_val_mae"]) and m["best_val_epoch"] == 1
    # in degrees: times the std of T (degC) over the training rows only
    std = csv_values[: run.s["train_end"], TEMPERATURE].std()
    assert m["best_val_mae_celsius"] == pytest.approx(m["best_val_mae"] * std)
    assert m["val_steps"] == 2
    assert run.result["figures"] == [f"chapter06/{name(run.script)}.smoke_mae.png"]
    assert [s["file"] for s in run.result["data"]] == [JENA_CSV]
    assert {s["kind"] for s in run.result["data"]} == {"made-for-tests"}
    saved(run.out, run.result)


def _rows_and_targets(batches, csv_values, s, reverse):
    """Each batch's rows r (the window before r) and whether its targets are T(r + delay)."""
    series = normalised(csv_values, s["train_end"])
    out = []
    for samples, targets in batches:
        assert samples.shape == (len(targets), s["lookback"] // s["step"], 14)
        rows = window_rows(samples, series, s["lookback"], s["step"], reverse)
        np.testing.assert_allclose(targets, series[rows + s["delay"], TEMPERATURE], atol=1e-5)
        out.append(rows)
    return out


def test_jena_training_windows_are_random_training_rows_normalised_with_their_own_stats(
    run, csv_values
):
    s = run.s
    assert len(run.fit.batches) >= s["steps_per_epoch"]
    batches = _rows_and_targets(run.fit.batches, csv_values, s, run.script in REVERSED)
    rows = np.concatenate(batches)
    assert all(len(b) == s["batch_size"] for b in batches)
    # the book's training range: min_index 0, max_index train_end; inputs from rows < train_end
    assert rows.min() >= s["lookback"] and rows.max() < s["train_end"]
    # drawn at random (shuffle=True), not in order
    assert len(set(rows.tolist())) > len(rows) // 2
    assert not np.array_equal(batches[0], np.arange(s["lookback"], s["lookback"] + len(rows)))


def test_jena_validation_windows_are_the_validation_rows_in_order(run, csv_values):
    s = run.s
    steps = run.fit.validation_steps
    assert len(run.fit.val_batches) >= steps
    batches = _rows_and_targets(run.fit.val_batches, csv_values, s, run.script in REVERSED)
    first = s["train_end"] + 1 + s["lookback"]  # min_index train_end + 1, in order
    np.testing.assert_array_equal(
        np.concatenate(batches[:steps]), np.arange(first, first + steps * s["batch_size"])
    )
    rows = np.concatenate(batches)
    assert rows.min() >= first and rows.max() < s["val_end"]
    # no input row of a validation window is a training row, and the reverse
    reverse = run.script in REVERSED
    training = np.concatenate(_rows_and_targets(run.fit.batches, csv_values, s, reverse))
    assert (rows - s["lookback"]).min() > s["train_end"] >= training.max()


def test_jena_fit_settings_are_the_profiles(run):
    s, fit = run.s, run.fit
    assert (fit.epochs, fit.steps_per_epoch) == (s["epochs"], s["steps_per_epoch"])
    available = (s["val_end"] - (s["train_end"] + 1) - s["lookback"]) // s["batch_size"]
    assert fit.validation_steps == min(available, s["val_steps"]) == 2
    assert fit.learning_rate == pytest.approx(0.001)  # RMSprop's default, the book's
    assert fit.model.loss == "mae"
    assert not run.calls.of("predict") and not own_calls(run.calls.of("evaluate"))


# ---- a missing or bad CSV ---------------------------------------------------------------------


@pytest.mark.parametrize("script", ALL_JENA, ids=name)
def test_jena_scripts_fail_clearly_without_the_csv(script, empty_data, out_dir):
    with pytest.raises(MissingData) as exc:
        script.main(smoke_args(empty_data, out_dir))
    assert exc.value.files == [JENA_CSV, JENA_ZIP] and "keras-datasets" in exc.value.fix
    assert not out_dir.exists()


def _tree(folder):
    """Every file and folder under `folder`, with the files' bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None
        for p in folder.rglob("*")
    }


SWAPPED_HEADER = JENA_HEADER.replace('"p (mbar)","T (degC)"', '"T (degC)","p (mbar)"')
BAD_CSVS = {
    # 15 columns, but T (degC) is not the 3rd: the networks would learn another target
    "wrong_header": (1000, SWAPPED_HEADER, ["jena_climate_2009_2016.csv", "header", "T (degC)"]),
    # the smoke profile's validation range ends at row 800 (+ delay 12 + 1)
    "too_short": (700, JENA_HEADER, ["700 rows: too few for the validation range", "813"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CSVS))
@pytest.mark.parametrize("script", ALL_JENA, ids=name)
def test_jena_scripts_bad_csv_is_one_error_line(script, case, tmp_path, capsys):
    rows, header, phrases = BAD_CSVS[case]
    root = fakedata.new_data_root(tmp_path / "data")
    fakedata.write_jena(root, rows, header=header)
    out = tmp_path / "results"
    earlier = out / "chapter06" / f"{name(script)}.smoke.json"
    earlier.parent.mkdir(parents=True)
    earlier.write_text('{"an": "earlier run"}\n')
    before = _tree(out)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        flags.run(script.main, smoke_args(root, out))
    assert exc.value.code == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for phrase in phrases:
        assert phrase in lines[0]
    assert _tree(out) == before  # no JSON, no figure, the earlier run untouched
