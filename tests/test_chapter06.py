"""Chapter 6: hashing, the NumPy RNN, the Jena generator, GloVe; every script on tiny data.

Scripts: one_hot_hashing, imdb_embedding, imdb_glove, numpy_simple_rnn, imdb_lstm,
jena_generator, jena_gru, jena_stacked_gru, bidirectional_lstm, imdb_conv1d, jena_conv1d_gru.
"""

import ast
import importlib.util
import json
import math
import zipfile

import fakedata
import keras
import numpy as np
import pytest
from conftest import REPO_ROOT, smoke_args
from fakedata.series import jena_rows

from chapter06 import (
    bidirectional_lstm,
    imdb_conv1d,
    imdb_embedding,
    imdb_glove,
    imdb_lstm,
    jena_conv1d_gru,
    jena_generator,
    jena_gru,
    jena_stacked_gru,
    numpy_simple_rnn,
    one_hot_hashing,
)
from chapter06.imdb_glove import build_embedding_matrix, parse_glove, texts_to_sequences
from chapter06.jena_generator import evaluate_naive_method
from chapter06.numpy_simple_rnn import keras_simple_rnn, simple_rnn_forward
from chapter06.one_hot_hashing import (
    collision_probability,
    count_collisions,
    word_hash,
)
from chapter06.one_hot_hashing import (
    one_hot_hashing as encode,
)
from dlwp import timeseries
from dlwp.data import glove, jena
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData, UserError

JENA_CSV = "datasets/jena_climate_2009_2016.csv"
JENA_ZIP = "datasets/jena_climate_2009_2016.csv.zip"
SMOKE_SETTINGS = jena_generator.PROFILES["smoke"]
SCRIPTS = sorted((REPO_ROOT / "chapter06").glob("[!_]*.py"))


@pytest.fixture(scope="session")
def ch6_data(tmp_path_factory):
    """Raw IMDB + word index, a 1,000-row Jena CSV and a GloVe file, in the real formats."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("ch6_data"))
    fakedata.write_imdb_raw(root)
    fakedata.write_jena(root)
    fakedata.write_glove(root)
    return root


def _folders(root) -> DataFolders:
    return DataFolders.resolve(root)


# ---- every script stands alone ----------------------------------------------------------------


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_scripts_import_only_libraries_and_dlwp(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            assert not name.startswith("chapter"), f"{path.name} imports {name}"
            assert name.split(".")[0] != "matplotlib" or name == "matplotlib.figure", name


# ---- 6.1 one-hot hashing ----------------------------------------------------------------------


def test_one_hot_hashing_shape_and_one_hot_rows():
    samples = ["The cat sat on the mat.", "a b c d e f g h i j k l"]
    out = encode(samples, dimensionality=1000, max_length=10)
    assert out.shape == (2, 10, 1000)
    sums = out.sum(axis=-1)
    assert sums[0].tolist() == [1] * 6 + [0] * 4  # 6 words, then padding rows
    assert sums[1].tolist() == [1] * 10  # cut at max_length
    # "The" at positions 0 and "the" at 4 are different words; the same word hashes the same way
    assert out[0, 0, word_hash("The", 1000)] == 1 and out[0, 4, word_hash("the", 1000)] == 1
    assert word_hash("cat", 1000) == word_hash("cat", 1000) and 0 <= word_hash("x", 7) < 7


def test_collisions_counted():
    assert count_collisions(["a", "b", "c", "a"], dimensionality=1) == 3  # one bucket: all collide
    words = [f"w{i}" for i in range(50)]
    buckets = [word_hash(w, 2000) for w in words]
    expected = sum(1 for b in buckets if buckets.count(b) > 1)
    assert count_collisions(words, 2000) == expected
    assert collision_probability(2, 1000) == pytest.approx(0.001)
    assert collision_probability(1001, 1000) == 1.0


# ---- 6.2 NumPy simple RNN ---------------------------------------------------------------------


def test_numpy_rnn_equals_keras_simple_rnn():
    rng = np.random.default_rng(3)
    inputs = rng.normal(0, 1, (30, 6)).astype("float32")
    W = rng.normal(0, 0.3, (5, 6)).astype("float32")
    U = rng.normal(0, 0.3, (5, 5)).astype("float32")
    b = rng.normal(0, 0.3, 5).astype("float32")
    ours = simple_rnn_forward(inputs, W, U, b)
    assert ours.shape == (30, 5)
    np.testing.assert_allclose(ours, keras_simple_rnn(inputs, W, U, b), atol=1e-5)
    # the state really is carried: without U the outputs differ
    assert np.abs(ours - simple_rnn_forward(inputs, W, U * 0, b)).max() > 1e-2


# ---- 6.3 the Jena generator: the book's loop (chapter06) = the vectorized one (dlwp) ------------


def _data(rows=3000, features=14, seed=0):
    return np.random.default_rng(seed).normal(size=(rows, features)).astype("float32")


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("step", [6, 3])
def test_book_loop_generator_yields_what_dlwp_generator_yields(shuffle, step):
    data = _data(rows=3001)  # not a multiple of step: dlwp's phase-major copy is padded
    kwargs = dict(lookback=120, delay=24, min_index=100, max_index=1500, shuffle=shuffle)
    kwargs.update(batch_size=32, step=step)
    fast = timeseries.generator(data, rng=np.random.RandomState(7), **kwargs)
    book = jena_generator.generator(data, rng=np.random.RandomState(7), **kwargs)
    for _ in range(50):  # sequential: 1,280 rows per 40 batches, so it wraps around
        (s1, t1), (s2, t2) = next(fast), next(book)
        assert s1.shape == (32, 120 // step, 14) and t1.shape == (32,)
        assert np.array_equal(s1, s2) and np.array_equal(t1, t2)
    # to the end of the data (max_index=None), where the padding is
    kwargs.update(max_index=None, min_index=2000)
    fast = timeseries.generator(data, rng=np.random.RandomState(8), **kwargs)
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
    fast = [next(timeseries.generator(data, **kwargs)) for _ in range(3)]
    for (s1, t1), (s2, t2) in zip(book, fast):
        assert np.array_equal(s1, s2) and np.array_equal(t1, t2)


@pytest.mark.parametrize("make", [timeseries.generator, jena_generator.generator])
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
    # max_index=None: up to len(data) - delay - 1
    rows = {int(t) for _ in range(40) for t in next(make(data, 60, 10, 0, None))[1]}
    assert max(rows) <= 2000 - 1 and min(rows) >= 70


def test_dlwp_generator_rejects_impossible_settings():
    data = _data(rows=300)
    with pytest.raises(ValueError, match="multiple"):
        next(timeseries.generator(data, lookback=61, delay=10, min_index=0, max_index=200))
    with pytest.raises(ValueError, match="no row between"):
        next(timeseries.generator(data, lookback=60, delay=10, min_index=150, max_index=200))


def test_normalize_uses_the_training_rows_only():
    raw = np.random.default_rng(1).normal(5, 3, (500, 4))
    raw[300:] *= 100  # the later rows must not influence the statistics
    data, mean, std = timeseries.normalize(raw, train_rows=300)
    assert data.dtype == np.float32
    np.testing.assert_allclose(mean, raw[:300].mean(axis=0))
    np.testing.assert_allclose(std, raw[:300].std(axis=0))
    np.testing.assert_allclose(data[:300].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data[:300].std(axis=0), 1, atol=1e-5)


def test_evaluate_naive_method():
    data = _data(rows=1000)
    gen = timeseries.generator(data, 60, 12, 0, 900, batch_size=16)
    check = timeseries.generator(data, 60, 12, 0, 900, batch_size=16)
    expected = np.mean([np.mean(np.abs(s[:, -1, 1] - t)) for s, t in (next(check) for _ in "abc")])
    assert evaluate_naive_method(gen, 3) == pytest.approx(expected)
    # the book's listing 6.35 = dlwp's naive_mae, on the book's loop generator too
    book = jena_generator.generator(data, 60, 12, 0, 900, batch_size=16)
    assert evaluate_naive_method(book, 3) == pytest.approx(expected)
    dlwp_gen = timeseries.generator(data, 60, 12, 0, 900, batch_size=16)
    assert timeseries.naive_mae(dlwp_gen, 3) == pytest.approx(expected)
    flat = np.ones((1000, 14), "float32")
    assert evaluate_naive_method(timeseries.generator(flat, 60, 12, 0, 900), 2) == 0


def test_book_generators_ranges_and_too_short_data():
    data = _data(rows=1000)
    settings = dict(SMOKE_SETTINGS)
    train_gen, val_gen, test_gen, val_steps, test_steps = timeseries.book_generators(
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
        timeseries.book_generators(data[:850], **settings)
    assert "850 rows" in exc.value.problem
    with pytest.raises(UserError, match="805 rows: too few for the validation range"):
        timeseries.book_generators(data[:805], **settings)


def test_generator_benchmark_runs_small():
    spec = importlib.util.spec_from_file_location(
        "jena_generator_benchmark", REPO_ROOT / "benchmarks" / "jena_generator_benchmark.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--rows", "10000", "--batches", "3", "--loop-batches", "2"])
    assert set(result) == {"shuffle", "sequential"}
    for mode in result.values():
        assert mode["vectorized_batches_per_s"] > 0 and mode["loop_batches_per_s"] > 0


# ---- Jena loader ------------------------------------------------------------------------------


def test_load_jena_reads_the_csv(ch6_data):
    folders = _folders(ch6_data)
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


@pytest.mark.parametrize("script", [jena_generator, jena_gru, jena_stacked_gru, jena_conv1d_gru])
def test_jena_scripts_fail_clearly_without_the_csv(script, empty_data, out_dir):
    with pytest.raises(MissingData) as exc:
        script.main(smoke_args(empty_data, out_dir))
    assert exc.value.files == [JENA_CSV, JENA_ZIP] and "keras-datasets" in exc.value.fix


def test_jena_script_fails_clearly_on_too_short_data(tmp_path, out_dir):
    root = fakedata.new_data_root(tmp_path / "short")
    fakedata.write_jena(root, 700)  # the smoke profile's validation range ends at row 800
    with pytest.raises(UserError, match="700 rows: too few for the"):
        jena_generator.main(smoke_args(root, out_dir))


# ---- GloVe ------------------------------------------------------------------------------------


def test_parse_glove_and_the_aligned_matrix(tmp_path):
    path, vectors = fakedata.write_glove(
        tmp_path, ["the", "movie", "good"], dim=4, path=tmp_path / "g.txt"
    )
    index, dim = parse_glove(path)
    assert dim == 4 and set(index) == {"the", "movie", "good"}
    np.testing.assert_allclose(index["good"], vectors["good"])
    assert set(parse_glove(path, words={"good", "zzz"})[0]) == {"good"}
    vocabulary = ["", "[UNK]", "the", "unseen", "good"]
    matrix, found = build_embedding_matrix(vocabulary, index, dim)
    assert matrix.shape == (5, 4) and found == 2
    np.testing.assert_allclose(matrix[2], vectors["the"])
    np.testing.assert_allclose(matrix[4], vectors["good"])
    assert not matrix[[0, 1, 3]].any()


def test_parse_glove_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("the 0.1 0.2 0.3\nmovie 0.1 0.2\n")
    with pytest.raises(BadData, match=r"bad.txt: line 2: 2 numbers") as exc:
        parse_glove(bad)
    assert exc.value.fields["file"] == "bad.txt" and "glove.6B.zip" in exc.value.fix
    bad.write_text("the 0.1 0.2\nmovie 0.1 zero\n")
    with pytest.raises(BadData, match=r"line 2: not a number"):
        parse_glove(bad)
    bad.write_text("")
    with pytest.raises(BadData, match="empty"):
        parse_glove(bad)
    bad.write_bytes(b"the \xff\xfe 0.1\n")
    with pytest.raises(BadData, match="not a readable UTF-8"):
        parse_glove(bad)


def test_find_glove_errors(empty_data, tmp_path):
    with pytest.raises(MissingData) as exc:
        glove.find(_folders(empty_data))
    assert exc.value.files == ["datasets/glove.6B.100d.txt"] and "glove.6B.zip" in exc.value.fix
    with pytest.raises(UserError, match="--glove .*no such file"):
        glove.find(_folders(empty_data), str(tmp_path / "nope.txt"))


def test_texts_to_sequences_drops_unknown_words_and_prepads():
    vectorizer = keras.layers.TextVectorization(max_tokens=5, ragged=True)
    vectorizer.adapt(np.array(["a a a b b c", "a b"]))  # vocabulary: '', [UNK], a, b, c
    assert vectorizer.get_vocabulary() == ["", "[UNK]", "a", "b", "c"]
    out = texts_to_sequences(vectorizer, ["c zzz a", "a b c a b c"], maxlen=4)
    assert out.tolist() == [[0, 0, 4, 2], [4, 2, 3, 4]]  # OOV dropped; the last words kept


# ---- every script on tiny data ----------------------------------------------------------------


def _finite(values):
    return all(math.isfinite(v) for v in values)


def _saved(out_dir, result):
    """The results JSON a smoke run wrote, checked to hold no path of this machine."""
    name = result["exercise"].split("/")[-1]
    text = (out_dir / "chapter06" / f"{name}.smoke.json").read_text()
    assert str(out_dir.parent.parent) not in text  # pytest's base folder: the data, the output
    saved = json.loads(text)
    assert saved["metrics"] == result["metrics"] and saved["profile"] == "smoke"
    for figure in saved["figures"]:
        assert (out_dir / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return saved


def test_one_hot_hashing_smoke(out_dir):
    result = one_hot_hashing.main(["--profile", "smoke", "--output-dir", str(out_dir)])
    m = result["metrics"]
    assert m["shape"] == [2, 10, 1000] and m["distinct_words"] == 10
    assert m["collisions"] == count_collisions(list(m["word_buckets"]), 1000)
    _saved(out_dir, result)


def test_numpy_simple_rnn_smoke(out_dir):
    result = numpy_simple_rnn.main(["--profile", "smoke", "--output-dir", str(out_dir)])
    m = result["metrics"]
    assert m["output_shape"] == [100, 64] and m["max_abs_diff_vs_keras"] < 1e-5
    _saved(out_dir, result)


@pytest.mark.parametrize("script", [imdb_embedding, imdb_lstm, bidirectional_lstm, imdb_conv1d])
def test_imdb_scripts_smoke(script, ch6_data, out_dir):
    result = script.main(smoke_args(ch6_data, out_dir))
    m = result["metrics"]
    assert set(m) == {"best_val_accuracy", "best_val_epoch", "final_val_accuracy", "history"}
    assert 0 <= m["best_val_accuracy"] <= 1 and m["best_val_epoch"] == 1
    assert m["final_val_accuracy"] == m["history"]["val_accuracy"][-1]
    assert set(m["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert _finite(m["history"]["loss"])
    name = script.__name__.split(".")[-1]
    assert result["figures"] == [f"chapter06/{name}.smoke_curves.png"]
    _saved(out_dir, result)
    assert {s["kind"] for s in result["data"]} == {"made-for-tests"}
    assert {s["what"] for s in result["data"]} >= {"IMDB raw reviews (aclImdb)", "IMDB word index"}


def test_imdb_embedding_best_epoch_of_several(ch6_data, out_dir):
    result = imdb_embedding.main(smoke_args(ch6_data, out_dir, "--epochs", "3", "--maxlen", "8"))
    m = result["metrics"]
    val = m["history"]["val_accuracy"]
    assert len(val) == 3 and m["best_val_accuracy"] == max(val)
    assert m["best_val_epoch"] == int(np.argmax(val)) + 1 and m["final_val_accuracy"] == val[-1]
    assert result["settings"]["maxlen"] == 8 and result["settings"]["epochs"] == 3


def test_imdb_glove_smoke(ch6_data, out_dir):
    result = imdb_glove.main(smoke_args(ch6_data, out_dir))
    m = result["metrics"]
    assert 0 <= m["test_accuracy"] <= 1 and math.isfinite(m["test_loss"])
    assert 0 <= m["best_val_accuracy"] <= 1 and m["best_val_epoch"] == 1
    assert m["glove_words_found"] == m["vocabulary_size"] - 2  # every fake word has a vector
    assert "GloVe word vectors" in {s["what"] for s in result["data"]}
    assert result["variant"] is None
    assert result["figures"] == ["chapter06/imdb_glove.smoke_curves.png"]
    _saved(out_dir, result)


def test_imdb_glove_learned_embedding_variant(ch6_data, out_dir):
    result = imdb_glove.main(smoke_args(ch6_data, out_dir, "--glove", "none"))
    assert result["variant"] == "learned_embedding"
    assert result["metrics"]["glove_words_found"] is None
    assert "GloVe word vectors" not in {s["what"] for s in result["data"]}
    assert result["figures"] == ["chapter06/imdb_glove@learned_embedding.smoke_curves.png"]
    _saved(out_dir, result)


def test_imdb_glove_fails_clearly_without_glove(tiny_data, out_dir):
    with pytest.raises(MissingData, match="glove.6B.100d.txt not found") as exc:
        imdb_glove.main(smoke_args(tiny_data, out_dir))
    assert "--glove PATH" in exc.value.fix


def test_imdb_glove_fails_clearly_on_a_bad_glove_file(ch6_data, tmp_path, out_dir):
    bad = tmp_path / "glove.txt"
    bad.write_text("the 0.1 0.2\nmovie 0.1\n")
    with pytest.raises(BadData, match="line 2: 1 numbers"):
        imdb_glove.main(smoke_args(ch6_data, out_dir, "--glove", str(bad)))


def test_jena_generator_smoke(ch6_data, out_dir):
    result = jena_generator.main(smoke_args(ch6_data, out_dir))
    m = result["metrics"]
    assert m["rows"] == 1000 and m["sample_batch_shape"] == [16, 10, 14]
    assert m["val_steps"] == (800 - 501 - 60) // 16 and m["test_steps"] >= 1
    assert 0 < m["baseline_val_mae"] < 2
    assert m["baseline_val_mae_celsius"] == pytest.approx(
        m["baseline_val_mae"] * m["temperature_std"]
    )
    temperature = jena_rows(1000)[1][:500, 1]  # the smoke profile's training rows
    assert m["temperature_std"] == pytest.approx(temperature.std())
    assert result["figures"] == ["chapter06/jena_generator.smoke_temperature.png"]
    assert [s["file"] for s in result["data"]] == [JENA_CSV]
    _saved(out_dir, result)


@pytest.mark.parametrize("script", [jena_gru, jena_stacked_gru, jena_conv1d_gru])
def test_jena_networks_smoke(script, ch6_data, out_dir):
    result = script.main(smoke_args(ch6_data, out_dir))
    m = result["metrics"]
    assert set(m) == set(jena_gru.BOOK) | {"best_val_mae_celsius", "history", "val_steps"}
    assert m["best_val_epoch"] == 1 and _finite([m["best_val_mae"], m["best_val_mae_celsius"]])
    assert m["best_val_mae"] == min(m["history"]["val_loss"])
    std = jena_rows(1000)[1][:500, 1].std()  # T (degC) over the smoke profile's training rows
    assert m["best_val_mae_celsius"] == pytest.approx(m["best_val_mae"] * std)
    assert m["val_steps"] == 2
    name = script.__name__.split(".")[-1]
    assert result["figures"] == [f"chapter06/{name}.smoke_mae.png"]
    _saved(out_dir, result)


def test_stacked_gru_rejects_a_bad_dropout(ch6_data, out_dir):
    with pytest.raises(UserError, match="--recurrent-dropout") as exc:
        jena_stacked_gru.main(smoke_args(ch6_data, out_dir, "--recurrent-dropout", "1.5"))
    assert "[0, 1)" in exc.value.fix


# ---- real data --------------------------------------------------------------------------------


@pytest.mark.realdata
def test_imdb_embedding_learns_on_real_imdb(real_data, tmp_path):
    result = imdb_embedding.main(
        ["--data-dir", str(real_data), "--output-dir", str(tmp_path), "--epochs", "2"]
    )
    assert result["metrics"]["best_val_accuracy"] > 0.70
    assert {s["kind"] for s in result["data"]} == {"real"}
