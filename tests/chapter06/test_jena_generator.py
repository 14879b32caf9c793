"""Chapter 6, jena_generator (notebook 6.3, cells 4-21): the book's generator loop equals
dlwp's vectorized one, the normalisation uses the training rows only, the three ranges, the
common-sense baseline (its MAE recomputed from the CSV and by hand on tiny batches), the Jena
loader, and the script on a 1,000-row CSV."""

import importlib.util
import zipfile
from types import SimpleNamespace

import fakedata
import numpy as np
import pytest
from ch06_helpers import saved
from fakedata.jena import jena_rows
from support import REPO_ROOT, smoke_args

from chapter06 import jena_generator
from chapter06.jena_generator import evaluate_naive_method
from dlwp import jena_series
from dlwp.data import jena
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData, UserError

JENA_CSV = "datasets/jena_climate_2009_2016.csv"
JENA_ZIP = "datasets/jena_climate_2009_2016.csv.zip"
SMOKE_SETTINGS = jena_generator.PROFILES["smoke"]


@pytest.fixture(scope="module")
def jena_data(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("jena_generator_data"))
    fakedata.write_jena(root)
    return root


def _folders(root) -> DataFolders:
    return DataFolders.resolve(root)


def test_jena_generator_full_profile_settings_are_the_notebooks():
    # 6.3, cell 17: lookback 1440, step 6
    assert jena_generator.PROFILES["full"] == {
        "lookback": 1440,
        "step": 6,
        "delay": 144,
        "batch_size": 128,
        "train_end": 200000,
        "val_end": 300000,
    }


# ---- 6.3 the Jena generator: the book's loop (chapter06) = the vectorized one (dlwp) ------------


def _data(rows=3000, features=14, seed=0):
    return np.random.default_rng(seed).normal(size=(rows, features)).astype("float32")


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("step", [6, 3])
def test_book_loop_generator_yields_what_dlwp_generator_yields(shuffle, step):
    data = _data(rows=3001)  # not a multiple of step: dlwp's phase-major copy is padded
    kwargs = dict(lookback=120, delay=24, min_index=100, max_index=1500, shuffle=shuffle)
    kwargs.update(batch_size=32, step=step)
    fast = jena_series.generator(data, rng=np.random.RandomState(7), **kwargs)
    book = jena_generator.generator(data, rng=np.random.RandomState(7), **kwargs)
    for _ in range(50):  # sequential: 1,280 rows per 40 batches, so it wraps around
        (s1, t1), (s2, t2) = next(fast), next(book)
        assert s1.shape == (32, 120 // step, 14) and t1.shape == (32,)
        assert np.array_equal(s1, s2) and np.array_equal(t1, t2)
    # to the end of the data (max_index=None), where the padding is
    kwargs.update(max_index=None, min_index=2000)
    fast = jena_series.generator(data, rng=np.random.RandomState(8), **kwargs)
    book = jena_generator.generator(data, rng=np.random.RandomState(8), **kwargs)
    for _ in range(30):
        (s1, t1), (s2, t2) = next(fast), next(book)
        assert np.array_equal(s1, s2) and np.array_equal(t1, t2)


def test_book_loop_generator_uses_numpys_global_rng_by_default():
    data = _data(rows=1000)
    kwargs = dict(lookback=60, delay=12, min_index=0, max_index=800, shuffle=True, batch_size=8)
    np.random.seed(5)
    book = [next(jena_generator.generator(data, **kwargs)) for _ in range(3)]
    np.random.seed(5)
    fast = [next(jena_series.generator(data, **kwargs)) for _ in range(3)]
    for (s1, t1), (s2, t2) in zip(book, fast):
        assert np.array_equal(s1, s2) and np.array_equal(t1, t2)


@pytest.mark.parametrize("make", [jena_series.generator, jena_generator.generator])
def test_generator_samples_targets_and_wraparound(make):
    data = np.arange(2000, dtype="float32")[:, None] * np.ones((1, 3), "float32")
    data[:, 1] += 0.5  # the temperature column differs from the others
    gen = make(data, lookback=60, delay=10, min_index=0, max_index=200, batch_size=50, step=6)
    samples, targets = next(gen)
    assert samples.shape == (50, 10, 3)
    # first row 60: inputs rows 0, 6, ..., 54; target = temperature of row 70
    assert samples[0, :, 0].tolist() == list(range(0, 60, 6))
    assert targets[0] == 70.5 and targets[-1] == 60 + 49 + 10 + 0.5
    _ = next(gen)  # rows 110-159
    again, _ = next(gen)  # 160 + 50 >= 200: wraps to row 60
    assert np.array_equal(again, samples)
    # max_index=None: rows drawn from [min_index + lookback, len(data) - delay - 1) = [1960, 1989)
    gen = make(data, 60, 10, 1900, None, shuffle=True, batch_size=400, rng=np.random.RandomState(0))
    samples, targets = next(gen)
    assert set(targets.tolist()) == {row + 10 + 0.5 for row in range(1960, 1989)}
    assert np.array_equal(samples[:, -1, 1] + 6 + 10, targets)  # last input row: 6 before `row`


@pytest.mark.parametrize("make", [jena_series.generator, jena_generator.generator])
def test_naive_baseline_on_a_known_series(make):
    # every column = the row number, the temperature column + 0.5: the last input row is
    # `row - step`, the target `row + delay`, so "no change" is off by step + delay = 16
    data = np.arange(2000, dtype="float32")[:, None] * np.ones((1, 3), "float32")
    data[:, 1] += 0.5
    gen = make(data, lookback=60, delay=10, min_index=0, max_index=1000, batch_size=20, step=6)
    assert evaluate_naive_method(gen, 5) == 16.0  # another column: 16.5


def test_dlwp_generator_rejects_impossible_settings():
    data = _data(rows=300)
    with pytest.raises(ValueError, match="multiple"):
        next(jena_series.generator(data, lookback=61, delay=10, min_index=0, max_index=200))
    with pytest.raises(ValueError, match="no row between"):
        next(jena_series.generator(data, lookback=60, delay=10, min_index=150, max_index=200))


def test_normalize_uses_the_training_rows_only():
    raw = np.random.default_rng(1).normal(5, 3, (500, 4))
    raw[300:] *= 100  # the later rows must not influence the statistics
    data, mean, std = jena_series.normalize(raw, train_rows=300)
    assert data.dtype == np.float32
    np.testing.assert_allclose(mean, raw[:300].mean(axis=0))
    np.testing.assert_allclose(std, raw[:300].std(axis=0))
    np.testing.assert_allclose(data[:300].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data[:300].std(axis=0), 1, atol=1e-5)


def test_evaluate_naive_method():
    data = _data(rows=1000)
    gen = jena_series.generator(data, 60, 12, 0, 900, batch_size=16)
    check = jena_series.generator(data, 60, 12, 0, 900, batch_size=16)
    expected = np.mean([np.mean(np.abs(s[:, -1, 1] - t)) for s, t in (next(check) for _ in "abc")])
    assert evaluate_naive_method(gen, 3) == pytest.approx(expected)
    # the same on the book's loop generator
    book = jena_generator.generator(data, 60, 12, 0, 900, batch_size=16)
    assert evaluate_naive_method(book, 3) == pytest.approx(expected)
    flat = np.ones((1000, 14), "float32")
    assert evaluate_naive_method(jena_series.generator(flat, 60, 12, 0, 900), 2) == 0


def test_book_generators_ranges_and_too_short_data():
    data = _data(rows=1000)
    settings = dict(SMOKE_SETTINGS)
    train_gen, val_gen, test_gen, val_steps, test_steps = jena_series.book_generators(
        data, **settings
    )
    assert val_steps == (800 - 501 - 60) // 16 and test_steps == (1000 - 801 - 60) // 16
    _, val_targets = next(val_gen)
    assert np.array_equal(val_targets, data[561 + 12 : 561 + 12 + 16, 1])  # first row 501 + 60
    _, test_targets = next(test_gen)
    assert np.array_equal(test_targets, data[861 + 12 : 861 + 12 + 16, 1])
    rows_seen = {float(t) for _ in range(20) for t in next(train_gen)[1]}
    assert rows_seen <= set(data[60 + 12 : 500 + 12, 1].tolist())
    with pytest.raises(UserError, match="too few for the test range") as exc:
        jena_series.book_generators(data[:850], **settings)
    assert "850 rows" in exc.value.problem
    with pytest.raises(UserError, match="805 rows: too few for the validation range"):
        jena_series.book_generators(data[:805], **settings)


def test_generator_benchmark_runs_small():
    spec = importlib.util.spec_from_file_location(
        "jena_generator_benchmark", REPO_ROOT / "benchmarks" / "jena_generator_benchmark.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--rows", "10000", "--batches", "3", "--loop-batches", "2"])
    assert set(result) == {"shuffle", "sequential"}
    for mode in result.values():
        assert set(mode) == {"vectorized_batches_per_s", "loop_batches_per_s", "speedup"}


# ---- Jena loader ------------------------------------------------------------------------------


def test_load_jena_reads_the_csv(jena_data):
    folders = _folders(jena_data)
    names, values = jena.load(folders)
    _, expected = jena_rows(1000)
    assert names[1] == "T (degC)" and len(names) == 14 and names == list(jena.COLUMNS[1:])
    assert values.shape == (1000, 14)
    np.testing.assert_allclose(values, expected)
    assert [(r["file"], r["kind"]) for r in folders.read] == [(JENA_CSV, "made-for-tests")]


def test_load_jena_from_zip_only(tmp_path, empty_data):
    root = fakedata.new_data_root(tmp_path / "z")
    fakedata.write_jena(root, 50, as_zip=True)
    folders = _folders(root)
    _, values = jena.load(folders)
    assert values.shape == (50, 14)
    # extracted once, into the cache; the data folder is never written
    assert (tmp_path / "empty_cache" / JENA_CSV).exists()
    assert not (root / JENA_CSV).exists()
    assert {r["file"] for r in folders.read} == {JENA_ZIP, JENA_CSV}
    _, again = jena.load(_folders(root))
    np.testing.assert_array_equal(again, values)


def test_load_jena_errors(tmp_path, empty_data):
    with pytest.raises(MissingData) as exc:
        jena.load(_folders(empty_data))
    assert exc.value.files == [JENA_CSV, JENA_ZIP] and "keras-datasets" in exc.value.fix
    root = fakedata.new_data_root(tmp_path / "bad")
    csv = fakedata.write_jena(root, 20)
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([lines[0].replace(',"wd (deg)"', "")] + lines[1:]) + "\n")
    with pytest.raises(BadData, match="header has 14 columns") as exc:
        jena.load(_folders(root))
    assert exc.value.fields["file"] == JENA_CSV
    csv.write_text("\n".join(lines[:5] + [lines[5].replace(",", ",x", 1)] + lines[6:]) + "\n")
    with pytest.raises(BadData, match="jena_climate_2009_2016.csv: malformed"):
        jena.load(_folders(root))
    csv.write_text(lines[0] + "\n")
    with pytest.raises(BadData, match="no data rows"):
        jena.load(_folders(root))
    csv.unlink()
    zip_path = root / JENA_ZIP
    zip_path.write_bytes(b"not a zip")
    with pytest.raises(BadData, match="not a readable zip") as exc:
        jena.load(_folders(root))
    assert exc.value.fields["file"] == JENA_ZIP
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("other.csv", "x")
    with pytest.raises(BadData, match="holds no jena_climate_2009_2016.csv"):
        jena.load(_folders(root))


# ---- the script on a 1,000-row CSV ---------------------------------------------------------


def test_jena_generator_smoke(jena_data, out_dir):
    result = jena_generator.main(smoke_args(jena_data, out_dir))
    m = result["metrics"]
    assert m["rows"] == 1000 and m["sample_batch_shape"] == [16, 10, 14]
    assert (
        m["val_steps"] == 14 and m["test_steps"] == 8
    )  # (800 - 501 - 60) // 16, (1000 - 861) // 16
    temperature = jena_rows(1000)[1][:, 1]
    mean, std = temperature[:500].mean(), temperature[:500].std()  # the smoke training rows
    assert m["temperature_std"] == pytest.approx(std) and m["temperature_mean"] == pytest.approx(
        mean
    )
    # the baseline, recomputed from the CSV's values: 14 validation batches of 16 rows in order
    # from row 501 + 60, each predicting T(row + 12) = T(row - 6), the last row of its input
    rows = np.arange(561, 561 + 14 * 16)
    expected = np.mean(np.abs(temperature[rows - 6] - temperature[rows + 12])) / std
    assert m["baseline_val_mae"] == pytest.approx(expected, rel=1e-5)
    assert m["baseline_val_mae_celsius"] == pytest.approx(expected * std, rel=1e-5)
    assert result["figures"] == ["chapter06/jena_generator.smoke_temperature.png"]
    assert [s["file"] for s in result["data"]] == [JENA_CSV]
    saved(out_dir, result)


def test_plot_temperature_draws_the_series():
    temperature = np.sin(np.arange(2000) / 50.0)
    whole, days = jena_generator.plot_temperature(temperature).axes
    np.testing.assert_array_equal(whole.lines[0].get_ydata(), temperature)
    np.testing.assert_array_equal(days.lines[0].get_ydata(), temperature[:1440])


# ---- the book's arithmetic, by hand on tiny inputs --------------------------------------------


def _naive_batches():
    """Two batches of different sizes: T of the last timestep vs the target, by hand.
    Every other timestep and column holds values far away, so a wrong axis shows."""
    rng = np.random.default_rng(0)
    first = rng.normal(50, 10, (2, 3, 3))
    first[:, -1, 1] = [1.0, 4.0]  # targets 2, 1: errors 1, 3 -> batch MAE 2
    second = rng.normal(-50, 10, (3, 3, 3))
    second[:, -1, 1] = [0.5, -1.0, 2.0]  # targets 0: errors 0.5, 1, 2 -> batch MAE 7/6
    third = np.full((2, 3, 3), 1e6)  # past val_steps: never read
    return [
        (first, np.array([2.0, 1.0])),
        (second, np.zeros(3)),
        (third, np.zeros(2)),
    ]


def test_naive_mae_is_the_mean_of_the_batch_maes():
    # the book's listing 6.35 averages the batches' MAEs: (2 + 7/6) / 2, not 7.5 / 5
    assert evaluate_naive_method(iter(_naive_batches()), 2) == pytest.approx((2 + 7 / 6) / 2)


def test_normalize_by_hand():
    raw = np.array([[1.0, 10.0], [3.0, 30.0], [100.0, -5.0], [7.0, 0.0]])
    data, mean, std = jena_series.normalize(raw, train_rows=2)
    # rows 0-1: mean (2, 20), std (1, 10); the same applied to rows 2-3
    np.testing.assert_allclose(mean, [2.0, 20.0])
    np.testing.assert_allclose(std, [1.0, 10.0])
    np.testing.assert_allclose(data, [[-1, -1], [1, 1], [98, -2.5], [5, -2]])


def test_mae_metrics_in_degrees_use_the_temperatures_std():
    history = SimpleNamespace(history={"loss": [0.9, 0.8, 0.7], "val_loss": [0.5, 0.3, 0.4]})
    m = jena_series.mae_metrics(history, np.array([9.0, 2.0, 7.0]))  # T (degC) is column 1
    assert (m["best_val_mae"], m["best_val_epoch"], m["final_val_mae"]) == (0.3, 2, 0.4)
    assert m["best_val_mae_celsius"] == pytest.approx(0.6)


def test_book_generators_targets_are_delay_rows_after_the_window_by_hand():
    # row r holds r in every column (T: r + 0.5): a sample before row r is rows r - 60, ...,
    # r - 6; its target T(r + 12). The three ranges: 0-500, 501-800, 801-end.
    series = np.arange(1000, dtype="float64")[:, None] * np.ones((1, 14))
    series[:, 1] += 0.5
    settings = dict(SMOKE_SETTINGS)
    gens = jena_series.book_generators(series, **settings)
    assert gens._fields == ("train", "val", "test", "val_steps", "test_steps")
    train, val, test, val_steps, test_steps = gens
    samples, targets = next(val)
    assert samples[0, :, 0].tolist() == list(range(501, 561, 6))  # first row 501 + 60
    assert targets[:3].tolist() == [573.5, 574.5, 575.5]
    samples, targets = next(test)
    assert samples[0, :, 0].tolist() == list(range(801, 861, 6))
    assert targets[0] == 873.5
    samples, targets = next(train)
    assert (samples[:, -1, 0] + 6 + 12 + 0.5 == targets).all() and targets.max() < 500 + 12
    assert (val_steps, test_steps) == (14, 8)
