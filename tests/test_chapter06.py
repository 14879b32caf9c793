"""Chapter 6: hashing, the NumPy RNN, the Jena generator, GloVe; every script on tiny data.

Scripts: one_hot_hashing, imdb_embedding, imdb_glove, numpy_simple_rnn, imdb_lstm,
jena_generator, jena_gru, jena_stacked_gru, bidirectional_lstm, imdb_conv1d, jena_conv1d_gru.
"""

import importlib.util
import math
import zipfile

import fakedata_ch06
import keras
import numpy as np
import pytest
from conftest import REPO_ROOT, smoke_args

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
from chapter06.jena_generator import (
    evaluate_naive_method,
    generator,
    generator_loop,
    normalize,
)
from chapter06.numpy_simple_rnn import keras_simple_rnn, simple_rnn_forward
from chapter06.one_hot_hashing import (
    collision_probability,
    count_collisions,
    word_hash,
)
from chapter06.one_hot_hashing import (
    one_hot_hashing as encode,
)
from dlwp import UserError, datasets


@pytest.fixture(scope="session")
def ch6_data(tmp_path_factory):
    """Raw IMDB + word index (fakedata), a 1,000-row Jena CSV and a GloVe file, real formats."""
    return fakedata_ch06.write_all_ch06(tmp_path_factory.mktemp("ch6_data"))


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


# ---- 6.3 the Jena generator -------------------------------------------------------------------


def _data(rows=3000, features=14, seed=0):
    return np.random.default_rng(seed).normal(size=(rows, features)).astype("float32")


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("step", [6, 3])
def test_generator_yields_what_the_book_loop_yields(shuffle, step):
    data = _data(rows=3001)  # not a multiple of step: the phase-major copy is padded
    kwargs = dict(lookback=120, delay=24, min_index=100, max_index=1500, shuffle=shuffle)
    kwargs.update(batch_size=32, step=step)
    fast = generator(data, rng=np.random.RandomState(7), **kwargs)
    slow = generator_loop(data, rng=np.random.RandomState(7), **kwargs)
    for _ in range(50):  # sequential: 1,280 rows per 40 batches, so it wraps around
        (s1, t1), (s2, t2) = next(fast), next(slow)
        assert s1.shape == (32, 120 // step, 14) and t1.shape == (32,)
        assert np.array_equal(s1, s2) and np.array_equal(t1, t2)
    # to the end of the data (max_index=None), where the padding is
    kwargs.update(max_index=None, min_index=2000)
    fast = generator(data, rng=np.random.RandomState(8), **kwargs)
    slow = generator_loop(data, rng=np.random.RandomState(8), **kwargs)
    for _ in range(30):
        (s1, t1), (s2, t2) = next(fast), next(slow)
        assert np.array_equal(s1, s2) and np.array_equal(t1, t2)


def test_generator_samples_targets_and_wraparound():
    data = np.arange(2000, dtype="float32")[:, None] * np.ones((1, 3), "float32")
    data[:, 1] += 0.5  # the temperature column differs from the others
    gen = generator(data, lookback=60, delay=10, min_index=0, max_index=200, batch_size=50, step=6)
    samples, targets = next(gen)
    assert samples.shape == (50, 10, 3)
    # first row 60: inputs rows 0, 6, ..., 54; target = temperature of row 70
    assert samples[0, :, 0].tolist() == list(range(0, 60, 6))
    assert targets[0] == 70.5 and targets[-1] == 60 + 49 + 10 + 0.5
    _ = next(gen)  # rows 110-159
    again, _ = next(gen)  # 160 + 50 >= 200: wraps to row 60
    assert np.array_equal(again, samples)
    # max_index=None: up to len(data) - delay - 1
    rows = {int(t) for _ in range(40) for t in next(generator(data, 60, 10, 0, None))[1]}
    assert max(rows) <= 2000 - 1 and min(rows) >= 70
    with pytest.raises(ValueError, match="multiple"):
        next(generator(data, lookback=61, delay=10, min_index=0, max_index=200))


def test_normalize_uses_the_training_rows_only():
    raw = np.random.default_rng(1).normal(5, 3, (500, 4))
    raw[300:] *= 100  # the later rows must not influence the statistics
    data, mean, std = normalize(raw, train_rows=300)
    assert data.dtype == np.float32
    np.testing.assert_allclose(mean, raw[:300].mean(axis=0))
    np.testing.assert_allclose(data[:300].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data[:300].std(axis=0), 1, atol=1e-5)


def test_evaluate_naive_method():
    data = _data(rows=1000)
    gen = generator(data, lookback=60, delay=12, min_index=0, max_index=900, batch_size=16)
    check = generator(data, lookback=60, delay=12, min_index=0, max_index=900, batch_size=16)
    expected = np.mean([np.mean(np.abs(s[:, -1, 1] - t)) for s, t in (next(check) for _ in "abc")])
    assert evaluate_naive_method(gen, 3) == pytest.approx(expected)
    flat = np.ones((1000, 14), "float32")
    assert evaluate_naive_method(generator(flat, 60, 12, 0, 900), 2) == 0


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
    names, values = datasets.load_jena(ch6_data)
    _, expected = fakedata_ch06.jena_rows(1000)
    assert names[1] == "T (degC)" and len(names) == 14
    assert values.shape == (1000, 14)
    np.testing.assert_allclose(values, expected)


def test_load_jena_from_zip_only(tmp_path, empty_data):
    fakedata_ch06.write_jena(fakedata_ch06.fakedata.new_data_root(tmp_path / "z"), 50, as_zip=True)
    root = tmp_path / "z"
    _, values = datasets.load_jena(root)
    assert values.shape == (50, 14)
    assert (root / "datasets" / "jena_climate_2009_2016.csv").exists()  # extracted once


def test_load_jena_errors(tmp_path, empty_data):
    with pytest.raises(UserError, match="jena_climate_2009_2016.csv"):
        datasets.load_jena(empty_data)
    root = fakedata_ch06.fakedata.new_data_root(tmp_path / "bad")
    csv = fakedata_ch06.write_jena(root, 20)
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([lines[0].replace('"wd (deg)"', "")] + lines[1:]) + "\n")
    with pytest.raises(UserError, match=r"jena_climate_2009_2016.csv is malformed.*header"):
        datasets.load_jena(root)
    csv.write_text("\n".join(lines[:5] + [lines[5].replace(",", ",x", 1)] + lines[6:]) + "\n")
    with pytest.raises(UserError, match="jena_climate_2009_2016.csv is malformed"):
        datasets.load_jena(root)
    csv.write_text(lines[0] + "\n")
    with pytest.raises(UserError, match="no data rows"):
        datasets.load_jena(root)
    csv.unlink()
    (root / "datasets" / "jena_climate_2009_2016.csv.zip").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable zip"):
        datasets.load_jena(root)
    with zipfile.ZipFile(root / "datasets" / "jena_climate_2009_2016.csv.zip", "w") as zf:
        zf.writestr("other.csv", "x")
    with pytest.raises(UserError, match="holds no jena_climate_2009_2016.csv"):
        datasets.load_jena(root)


@pytest.mark.parametrize("script", [jena_generator, jena_gru, jena_stacked_gru, jena_conv1d_gru])
def test_jena_scripts_fail_clearly_without_the_csv(script, empty_data, out_dir):
    with pytest.raises(UserError, match="jena_climate_2009_2016.csv.*keras-datasets"):
        script.main(smoke_args(empty_data, out_dir))


# ---- GloVe ------------------------------------------------------------------------------------


def test_parse_glove_and_the_aligned_matrix(tmp_path):
    path, vectors = fakedata_ch06.write_glove(tmp_path / "g.txt", ["the", "movie", "good"], dim=4)
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
    with pytest.raises(UserError, match=r"bad.txt, line 2: 2 numbers"):
        parse_glove(bad)
    bad.write_text("the 0.1 0.2\nmovie 0.1 zero\n")
    with pytest.raises(UserError, match=r"line 2: not a number"):
        parse_glove(bad)
    bad.write_text("")
    with pytest.raises(UserError, match="empty"):
        parse_glove(bad)


def test_find_glove_errors(empty_data, tmp_path):
    with pytest.raises(UserError, match=r"glove.6B.100d.txt not found.*glove.6B.zip"):
        datasets.find_glove(None, empty_data)
    with pytest.raises(UserError, match="--glove .*no such file"):
        datasets.find_glove(str(tmp_path / "nope.txt"), empty_data)


def test_texts_to_sequences_drops_unknown_words_and_prepads():
    vectorizer = keras.layers.TextVectorization(max_tokens=5, ragged=True)
    vectorizer.adapt(np.array(["a a a b b c", "a b"]))  # vocabulary: '', [UNK], a, b, c
    assert vectorizer.get_vocabulary() == ["", "[UNK]", "a", "b", "c"]
    out = texts_to_sequences(vectorizer, ["c zzz a", "a b c a b c"], maxlen=4)
    assert out.tolist() == [[0, 0, 4, 2], [4, 2, 3, 4]]  # OOV dropped; the last words kept


# ---- every script on tiny data ----------------------------------------------------------------


def _finite(values):
    return all(math.isfinite(v) for v in values)


def test_one_hot_hashing_smoke(out_dir):
    m = one_hot_hashing.main(["--profile", "smoke", "--output-dir", str(out_dir)])["metrics"]
    assert m["shape"] == [2, 10, 1000] and m["distinct_words"] == 10
    assert m["collisions"] == count_collisions(list(m["word_buckets"]), 1000)


def test_numpy_simple_rnn_smoke(out_dir):
    m = numpy_simple_rnn.main(["--profile", "smoke", "--output-dir", str(out_dir)])["metrics"]
    assert m["output_shape"] == [100, 64] and m["max_abs_diff_vs_keras"] < 1e-5


@pytest.mark.parametrize("script", [imdb_embedding, imdb_lstm, bidirectional_lstm, imdb_conv1d])
def test_imdb_scripts_smoke(script, ch6_data, out_dir):
    result = script.main(smoke_args(ch6_data, out_dir))
    m = result["metrics"]
    assert 0 <= m["best_val_accuracy"] <= 1 and m["best_val_epoch"] == 1
    assert set(m["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert _finite(m["history"]["loss"])
    name = script.__name__.split(".")[-1]
    assert (out_dir / "chapter06" / f"{name}_curves.png").exists()
    assert (out_dir / "chapter06" / f"{name}.json").exists()
    assert {s["kind"] for s in result["data"]} == {"made-for-tests"}


def test_imdb_glove_smoke(ch6_data, out_dir):
    result = imdb_glove.main(smoke_args(ch6_data, out_dir))
    m = result["metrics"]
    assert 0 <= m["test_accuracy"] <= 1 and math.isfinite(m["test_loss"])
    assert m["glove_words_found"] == m["vocabulary_size"] - 2  # every fake word has a vector
    assert "GloVe word vectors" in {s["what"] for s in result["data"]}
    assert result["variant"] is None and (out_dir / "chapter06" / "imdb_glove.json").exists()


def test_imdb_glove_learned_embedding_variant(ch6_data, out_dir):
    result = imdb_glove.main(smoke_args(ch6_data, out_dir, "--glove", "none"))
    assert result["variant"] == "learned_embedding"
    assert result["metrics"]["glove_words_found"] is None
    assert "GloVe word vectors" not in {s["what"] for s in result["data"]}
    assert (out_dir / "chapter06" / "imdb_glove@learned_embedding.json").exists()
    assert (out_dir / "chapter06" / "imdb_glove@learned_embedding_curves.png").exists()


def test_imdb_glove_fails_clearly_without_glove(tiny_data, out_dir, monkeypatch):
    monkeypatch.setattr(datasets, "DEFAULT_DATA_DIR", tiny_data / "no_default")
    with pytest.raises(UserError, match="glove.6B.100d.txt not found"):
        imdb_glove.main(smoke_args(tiny_data, out_dir))


def test_jena_generator_smoke(ch6_data, out_dir):
    result = jena_generator.main(smoke_args(ch6_data, out_dir))
    m = result["metrics"]
    assert m["rows"] == 1000 and m["sample_batch_shape"] == [16, 10, 14]
    assert m["val_steps"] == (800 - 501 - 60) // 16 and m["test_steps"] >= 1
    assert 0 < m["baseline_val_mae"] < 2
    assert m["baseline_val_mae_celsius"] == pytest.approx(
        m["baseline_val_mae"] * m["temperature_std"]
    )
    assert (out_dir / "chapter06" / "jena_generator_temperature.png").exists()


@pytest.mark.parametrize("script", [jena_gru, jena_stacked_gru, jena_conv1d_gru])
def test_jena_networks_smoke(script, ch6_data, out_dir):
    m = script.main(smoke_args(ch6_data, out_dir))["metrics"]
    assert m["best_val_epoch"] == 1 and _finite([m["best_val_mae"], m["best_val_mae_celsius"]])
    assert m["val_steps"] == 2
    name = script.__name__.split(".")[-1]
    assert (out_dir / "chapter06" / f"{name}_mae.png").exists()


def test_stacked_gru_rejects_a_bad_dropout(ch6_data, out_dir):
    with pytest.raises(UserError, match="--recurrent-dropout"):
        jena_stacked_gru.main(smoke_args(ch6_data, out_dir, "--recurrent-dropout", "1.5"))


# ---- real data --------------------------------------------------------------------------------


@pytest.mark.realdata
def test_imdb_embedding_learns_on_real_imdb(real_data, tmp_path):
    result = imdb_embedding.main(
        ["--data-dir", str(real_data), "--output-dir", str(tmp_path), "--epochs", "2"]
    )
    assert result["metrics"]["best_val_accuracy"] > 0.70
    assert {s["kind"] for s in result["data"]} == {"real"}
