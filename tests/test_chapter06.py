"""Chapter 6: hashing, the NumPy RNN, the Jena generator, GloVe; every model as its full
profile builds it; every script on tiny data, and on a bad Jena CSV.

Scripts: one_hot_hashing, imdb_embedding, imdb_glove, numpy_simple_rnn, imdb_lstm,
jena_generator, jena_gru, jena_stacked_gru, bidirectional_lstm, imdb_conv1d, jena_conv1d_gru.
"""

import ast
import importlib.util
import json
import math
import os
import subprocess
import sys
import zipfile

import fakedata
import keras
import numpy as np
import pytest
from fakedata.jena import JENA_HEADER, jena_rows
from support import REPO_ROOT, smoke_args

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
from dlwp import flags, timeseries
from dlwp.data import glove, imdb, jena
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData, UserError

JENA_CSV = "datasets/jena_climate_2009_2016.csv"
JENA_ZIP = "datasets/jena_climate_2009_2016.csv.zip"
SMOKE_SETTINGS = jena_generator.PROFILES["smoke"]
SCRIPTS = sorted((REPO_ROOT / "chapter06").glob("[!_]*.py"))
JENA_SCRIPTS = [jena_generator, jena_gru, jena_stacked_gru, jena_conv1d_gru]


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


# ---- every model as its full profile builds it --------------------------------------------------

MODEL_SCRIPTS = [
    bidirectional_lstm,
    imdb_conv1d,
    imdb_embedding,
    imdb_glove,
    imdb_lstm,
    jena_conv1d_gru,
    jena_gru,
    jena_stacked_gru,
]
# a layer's setting is shown where it differs from Keras' default
LAYER_DEFAULTS = {
    "strides": None,  # 1 for a convolution, the pool size for a pooling layer
    "padding": "valid",
    "dilation_rate": (1,),
    "use_bias": True,
    "recurrent_activation": "sigmoid",  # Keras 2.0.8's was hard_sigmoid: a known difference
    "dropout": 0.0,
    "recurrent_dropout": 0.0,
    "return_sequences": False,
    "go_backwards": False,
    "mask_zero": False,
    "merge_mode": "concat",
    "reset_after": True,  # Keras 3's default; the book's GRU (Keras 2.0.8) is reset_after=False
}


def _layer(layer) -> str:
    """A layer as the book writes it: Conv1D(32, 7, relu), GRU(32, tanh, dropout=0.1), ..."""
    c, kind = layer.get_config(), type(layer).__name__
    if kind == "Bidirectional":
        args = [_layer(layer.forward_layer)]
    else:
        args = [c[k] for k in ("input_dim", "output_dim", "units", "filters") if k in c]
        args += [c[k][0] for k in ("kernel_size", "pool_size") if k in c]
        args += [c[k] for k in ("activation", "rate") if k in c]
    for key, default in LAYER_DEFAULTS.items():
        if key == "strides" and key in c:
            default = c.get("pool_size", (1,))
        if key in c and c[key] != default:
            args.append(f"{key}={c[key]}")
    if not layer.trainable:
        args.append("frozen")
    return f"{kind}({', '.join(map(str, args))})"


def _describe(model) -> dict:
    opt = model.optimizer
    learning_rate = float(keras.ops.convert_to_numpy(opt.learning_rate))
    return {
        "input": model.input_shape,
        "layers": [_layer(layer) for layer in model.layers],
        "compile": f"{type(opt).__name__}(learning_rate={learning_rate:.3g}, "
        f"epsilon={opt.epsilon:.3g}), loss={model.loss}",
    }


def _full(script):
    return script.PROFILES["full"]


JENA_FEATURES = len(jena.COLUMNS) - 1  # 14: "Date Time" is dropped
GLOVE_FULL = _full(imdb_glove)
BINARY = "RMSprop(learning_rate=0.001, epsilon=1e-16), loss=binary_crossentropy"
MAE = "RMSprop(learning_rate=0.001, epsilon=1e-16), loss=mae"
FULL_MODELS = {  # the book's models (their parameter counts: BOOK_PARAMS below)
    "imdb_embedding": (
        lambda: imdb_embedding.build_model(_full(imdb_embedding)["maxlen"]),
        (None, 20),
        ["Embedding(10000, 8)", "Flatten()", "Dense(1, sigmoid)"],
        BINARY,
    ),
    "imdb_glove": (
        lambda: imdb_glove.build_model(GLOVE_FULL["maxlen"], GLOVE_FULL["max_words"], 100),
        (None, 100),
        ["Embedding(10000, 100)", "Flatten()", "Dense(32, relu)", "Dense(1, sigmoid)"],
        BINARY,
    ),
    "imdb_glove_frozen": (
        lambda: imdb_glove.build_model(
            GLOVE_FULL["maxlen"], GLOVE_FULL["max_words"], 100, np.zeros((10000, 100), "float32")
        ),
        (None, 100),
        ["Embedding(10000, 100, frozen)", "Flatten()", "Dense(32, relu)", "Dense(1, sigmoid)"],
        BINARY,
    ),
    "imdb_lstm": (
        lambda: imdb_lstm.build_model(_full(imdb_lstm)["maxlen"]),
        (None, 500),
        ["Embedding(10000, 32)", "LSTM(32, tanh)", "Dense(1, sigmoid)"],
        BINARY,
    ),
    "bidirectional_lstm": (
        lambda: bidirectional_lstm.build_model(_full(bidirectional_lstm)["maxlen"]),
        (None, 500),
        ["Embedding(10000, 32)", "Bidirectional(LSTM(32, tanh))", "Dense(1, sigmoid)"],
        BINARY,
    ),
    "imdb_conv1d": (
        lambda: imdb_conv1d.build_model(
            _full(imdb_conv1d)["maxlen"], _full(imdb_conv1d)["learning_rate"]
        ),
        (None, 500),
        [
            "Embedding(10000, 128)",
            "Conv1D(32, 7, relu)",
            "MaxPooling1D(5)",
            "Conv1D(32, 7, relu)",
            "GlobalMaxPooling1D()",
            "Dense(1, sigmoid)",  # the book: Dense(1) (see the script's docstring)
        ],
        "RMSprop(learning_rate=0.0001, epsilon=1e-16), loss=binary_crossentropy",
    ),
    "jena_gru": (
        lambda: jena_gru.build_model(JENA_FEATURES),
        (None, None, 14),
        ["GRU(32, tanh, reset_after=False)", "Dense(1, linear)"],
        MAE,
    ),
    "jena_stacked_gru": (
        lambda: jena_stacked_gru.build_model(
            JENA_FEATURES, _full(jena_stacked_gru)["recurrent_dropout"]
        ),
        (None, None, 14),
        [
            "GRU(32, tanh, dropout=0.1, recurrent_dropout=0.5, return_sequences=True, "
            "reset_after=False)",
            "GRU(64, relu, dropout=0.1, recurrent_dropout=0.5, reset_after=False)",
            "Dense(1, linear)",
        ],
        MAE,
    ),
    "jena_conv1d_gru": (
        lambda: jena_conv1d_gru.build_model(JENA_FEATURES),
        (None, None, 14),
        [
            "Conv1D(32, 5, relu)",
            "MaxPooling1D(3)",
            "Conv1D(32, 5, relu)",
            "GRU(32, tanh, dropout=0.1, recurrent_dropout=0.5, reset_after=False)",
            "Dense(1, linear)",
        ],
        MAE,
    ),
}


@pytest.mark.parametrize("name", FULL_MODELS)
def test_full_profile_model_is_the_books(name):
    build, input_shape, layers, compiled = FULL_MODELS[name]
    expected = {"input": input_shape, "layers": layers, "compile": compiled}
    assert _describe(build()) == expected


# Every full model's parameter count is the notebook's (Keras 2.0.8): "Total params" of the
# model.summary() the notebook prints, or, where it prints none, the count its listing implies.
# A Keras 2 GRU(u) on d inputs has 3 (d u + u u + u) weights (one bias per gate: Keras 3's
# reset_after=False); an LSTM(u), 4 (d u + u u + u).
BOOK_PARAMS = {
    # printed summaries
    "imdb_embedding": 80161,  # 6.1-using-word-embeddings, cell 9: Total params: 80,161
    "imdb_glove": 1320065,  # 6.1-using-word-embeddings, cells 23 and 32: Total params: 1,320,065
    "imdb_glove_frozen": 1320065,  # the same (cell 23 printed it before freezing; frozen counts)
    "imdb_conv1d": 1315937,  # 6.4, cell 4: Total params: 1,315,937
    "jena_conv1d_gru": 13697,  # 6.4, cell 16: Total params: 13,697 (GRU 6,240)
    # implied by the listing (no summary printed)
    "imdb_lstm": 328353,  # 6.2, cell 16: 320,000 + LSTM(32) on 32: 8,320 + Dense 33
    "bidirectional_lstm": 336705,  # 6.3, cell 52: 320,000 + 2 x 8,320 + Dense(1) on 64: 65
    "jena_gru": 4545,  # 6.3, cell 29: GRU(32) on 14: 4,512 + Dense 33
    "jena_stacked_gru": 23201,  # 6.3, cell 38: 4,512 + GRU(64) on 32: 18,624 + Dense 65
}


def test_book_params_table_covers_every_model_and_adds_up():
    assert set(BOOK_PARAMS) == set(FULL_MODELS)

    def gru(d, u):
        return 3 * (d * u + u * u + u)

    def lstm(d, u):
        return 4 * (d * u + u * u + u)

    assert BOOK_PARAMS["imdb_lstm"] == 10000 * 32 + lstm(32, 32) + 33
    assert BOOK_PARAMS["bidirectional_lstm"] == 10000 * 32 + 2 * lstm(32, 32) + 65
    assert BOOK_PARAMS["jena_gru"] == gru(14, 32) + 33
    assert BOOK_PARAMS["jena_stacked_gru"] == gru(14, 32) + gru(32, 64) + 65
    assert gru(32, 32) == 6240  # the GRU row of 6.4 cell 16's summary


@pytest.mark.parametrize("name", BOOK_PARAMS)
def test_full_profile_model_has_the_notebooks_parameter_count(name):
    assert FULL_MODELS[name][0]().count_params() == BOOK_PARAMS[name]


# The full profiles' settings, as the notebooks set them
JENA_NOTEBOOK = {"delay": 144, "batch_size": 128, "train_end": 200000, "val_end": 300000}
FULL_SETTINGS = {
    # 6.1-using-word-embeddings, cells 8-9: maxlen 20, epochs 10
    imdb_embedding: {"epochs": 10, "samples": None, "maxlen": 20},
    # 6.1-using-word-embeddings, cells 16, 21 and 28
    imdb_glove: {
        "epochs": 10,
        "maxlen": 100,
        "training_samples": 200,
        "validation_samples": 10000,
        "max_words": 10000,
    },
    imdb_lstm: {"epochs": 10, "samples": None, "maxlen": 500},  # 6.2, cells 9 and 16
    bidirectional_lstm: {"epochs": 10, "samples": None, "maxlen": 500},  # 6.3, cells 47, 52
    # 6.4, cells 2 and 4: RMSprop(lr=1e-4)
    imdb_conv1d: {"epochs": 10, "samples": None, "maxlen": 500, "learning_rate": 1e-4},
    # 6.3, cell 17: lookback 1440, step 6
    jena_generator: {"lookback": 1440, "step": 6, **JENA_NOTEBOOK},
    jena_gru: {  # 6.3, cells 17 and 29
        **{"epochs": 20, "steps_per_epoch": 500, "val_steps": None},
        **{"lookback": 1440, "step": 6, **JENA_NOTEBOOK},
    },
    jena_stacked_gru: {  # 6.3, cells 17 and 38
        **{"epochs": 40, "steps_per_epoch": 500, "val_steps": None, "recurrent_dropout": 0.5},
        **{"lookback": 1440, "step": 6, **JENA_NOTEBOOK},
    },
    jena_conv1d_gru: {  # 6.4, cells 14 and 16: lookback 720, step 3
        **{"epochs": 20, "steps_per_epoch": 500, "val_steps": None},
        **{"lookback": 720, "step": 3, **JENA_NOTEBOOK},
    },
}


@pytest.mark.parametrize("script", FULL_SETTINGS, ids=lambda m: m.__name__.split(".")[-1])
def test_full_profile_settings_are_the_notebooks(script):
    assert _full(script) == FULL_SETTINGS[script]


@pytest.mark.parametrize(
    ("script", "val_steps"), [(jena_gru, 769), (jena_stacked_gru, 769), (jena_conv1d_gru, 775)]
)
def test_full_jena_validation_covers_the_notebooks_val_steps(script, val_steps):
    """val_steps None: all of (300000 - 200001 - lookback) // 128 batches, as the notebook."""
    full = _full(script)
    assert full["val_steps"] is None
    end, start, lookback = full["val_end"], full["train_end"] + 1, full["lookback"]
    assert (end - start - lookback) // full["batch_size"] == val_steps


# model.fit's constant arguments in main, as the notebooks pass them
NOTEBOOK_FIT = {
    imdb_embedding: {"batch_size": 32, "validation_split": 0.2},  # 6.1-...-embeddings, cell 9
    imdb_glove: {"batch_size": 32},  # 6.1-using-word-embeddings, cell 28 (validation_data)
    imdb_lstm: {"batch_size": 128, "validation_split": 0.2},  # 6.2, cell 16
    bidirectional_lstm: {"batch_size": 128, "validation_split": 0.2},  # 6.3, cell 52
    imdb_conv1d: {"batch_size": 128, "validation_split": 0.2},  # 6.4, cell 4
}


@pytest.mark.parametrize("script", NOTEBOOK_FIT, ids=lambda m: m.__name__.split(".")[-1])
def test_fit_arguments_are_the_notebooks(script):
    tree = ast.parse(REPO_ROOT.joinpath(*script.__name__.split(".")).with_suffix(".py").read_text())
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    (fit,) = [
        n
        for n in ast.walk(main)
        if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "fit"
    ]
    constants = {k.arg: k.value.value for k in fit.keywords if isinstance(k.value, ast.Constant)}
    assert {k: constants.get(k) for k in NOTEBOOK_FIT[script]} == NOTEBOOK_FIT[script]
    if script is imdb_glove:
        assert "validation_split" not in constants


@pytest.mark.parametrize("script", MODEL_SCRIPTS, ids=lambda m: m.__name__.split(".")[-1])
def test_main_builds_its_model_with_build_model(script):
    """The pinned build_model is the model main trains: main calls it and builds no other."""
    tree = ast.parse(REPO_ROOT.joinpath(*script.__name__.split(".")).with_suffix(".py").read_text())
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    called = {
        n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", None)
        for n in ast.walk(main)
        if isinstance(n, ast.Call)
    }
    assert "build_model" in called
    assert not called & {"Sequential", "Model", "compile", "set_weights"}, called


# ---- 6.1 one-hot hashing ----------------------------------------------------------------------


def test_one_hot_hashing_shape_and_one_hot_rows():
    samples = ["The cat sat on the mat.", "a b c d e f g h i j k l"]
    out = encode(samples, dimensionality=1000, max_length=10)
    assert out.shape == (2, 10, 1000)
    sums = out.sum(axis=-1)
    assert sums[0].tolist() == [1] * 6 + [0] * 4  # 6 words, then padding rows
    assert sums[1].tolist() == [1] * 10  # cut at max_length
    # "The" (position 0) and "the" (position 4) are different words, in different buckets
    assert out[0, 0, 892] == 1 and out[0, 4, 79] == 1  # the buckets pinned below
    assert np.array_equal(np.flatnonzero(out[0, 1]), [888])  # "cat": its bucket, nothing else


# MD5-based buckets, computed once: the same in every process, whatever PYTHONHASHSEED says
# (Python's hash() of a str is salted per process).
PINNED_BUCKETS = {"The": 892, "the": 79, "cat": 888, "mat.": 267, "homework.": 416, "dog": 998}
PINNED_BUCKETS_2_31 = {"The": 593459044, "cat": 1648519564, "dog": 2057367443}
BOOK_SENTENCE_BUCKETS = {  # the 10 distinct words of the book's two samples, dimensionality 1000
    **{"The": 892, "ate": 343, "cat": 888, "dog": 998, "homework.": 416},
    **{"mat.": 267, "my": 680, "on": 629, "sat": 587, "the": 79},
}


def test_word_hash_is_pinned():
    assert {w: word_hash(w, 1000) for w in PINNED_BUCKETS} == PINNED_BUCKETS
    assert {w: word_hash(w, 2**31 - 1) for w in PINNED_BUCKETS_2_31} == PINNED_BUCKETS_2_31


def test_word_hash_is_the_same_in_a_process_with_another_hash_seed(tmp_path):
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    argv = ["--profile", "smoke", "--output-dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "chapter06" / "one_hot_hashing.py"), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / "chapter06" / "one_hot_hashing.smoke.json").read_text())
    here = {w: word_hash(w, 1000) for w in BOOK_SENTENCE_BUCKETS}
    assert saved["metrics"]["word_buckets"] == here  # that process's buckets = this one's
    assert here == BOOK_SENTENCE_BUCKETS


def test_collisions_counted():
    assert count_collisions(["a", "b", "c", "a"], dimensionality=1) == 3  # one bucket: all collide
    # w0..w9 into 10 buckets: w0 w4, w1 w8, w2 w7 and w3 w9 share theirs; w5 and w6 are alone
    words = [f"w{i}" for i in range(10)]
    assert [word_hash(w, 10) for w in words] == [4, 7, 2, 5, 4, 9, 6, 2, 7, 5]
    assert count_collisions(words, 10) == 8
    assert count_collisions(words + ["w1", "w1"], 10) == 8  # a repeated word is one word
    assert count_collisions(list(BOOK_SENTENCE_BUCKETS), 1000) == 0
    assert collision_probability(2, 1000) == pytest.approx(0.001)
    assert collision_probability(10, 1000) == pytest.approx(0.0441394, abs=1e-7)
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
    # max_index=None: rows drawn from [min_index + lookback, len(data) - delay - 1) = [1960, 1989)
    gen = make(data, 60, 10, 1900, None, shuffle=True, batch_size=400, rng=np.random.RandomState(0))
    samples, targets = next(gen)
    assert set(targets.tolist()) == {row + 10 + 0.5 for row in range(1960, 1989)}
    assert np.array_equal(samples[:, -1, 1] + 6 + 10, targets)  # last input row: 6 before `row`


@pytest.mark.parametrize("make", [timeseries.generator, jena_generator.generator])
def test_naive_baseline_on_a_known_series(make):
    # every column = the row number, the temperature column + 0.5: the last input row is
    # `row - step`, the target `row + delay`, so "no change" is off by step + delay = 16
    data = np.arange(2000, dtype="float32")[:, None] * np.ones((1, 3), "float32")
    data[:, 1] += 0.5
    gen = make(data, lookback=60, delay=10, min_index=0, max_index=1000, batch_size=20, step=6)
    assert evaluate_naive_method(gen, 5) == 16.0
    gen = make(data, lookback=60, delay=10, min_index=0, max_index=1000, batch_size=20, step=6)
    assert timeseries.naive_mae(gen, 5) == 16.0  # another column: 16.5


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
        assert set(mode) == {"vectorized_batches_per_s", "loop_batches_per_s", "speedup"}


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


@pytest.mark.parametrize("script", JENA_SCRIPTS, ids=lambda m: m.__name__.split(".")[-1])
def test_jena_scripts_fail_clearly_without_the_csv(script, empty_data, out_dir):
    with pytest.raises(MissingData) as exc:
        script.main(smoke_args(empty_data, out_dir))
    assert exc.value.files == [JENA_CSV, JENA_ZIP] and "keras-datasets" in exc.value.fix


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
@pytest.mark.parametrize("script", JENA_SCRIPTS, ids=lambda m: m.__name__.split(".")[-1])
def test_jena_scripts_bad_csv_is_one_error_line(script, case, tmp_path, capsys):
    rows, header, phrases = BAD_CSVS[case]
    root = fakedata.new_data_root(tmp_path / "data")
    fakedata.write_jena(root, rows, header=header)
    out = tmp_path / "results"
    earlier = out / "chapter06" / f"{script.__name__.split('.')[-1]}.smoke.json"
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


# ---- GloVe ------------------------------------------------------------------------------------


def test_parse_glove_and_the_aligned_matrix(tmp_path):
    words = ["the", "movie", "good", "[UNK]"]  # a vector for "[UNK]" must not fill the OOV row
    path, vectors = fakedata.write_glove(tmp_path, words, dim=4, path=tmp_path / "g.txt")
    index, dim = parse_glove(path)
    assert dim == 4 and set(index) == set(words)
    np.testing.assert_array_equal(index["good"], vectors["good"])
    assert set(parse_glove(path, words={"good", "zzz"})[0]) == {"good"}
    vocabulary = ["", "[UNK]", "the", "unseen", "good"]
    matrix, found = build_embedding_matrix(vocabulary, index, dim)
    assert matrix.shape == (5, 4) and found == 2
    np.testing.assert_array_equal(matrix[2], vectors["the"])
    np.testing.assert_array_equal(matrix[4], vectors["good"])
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
    assert m["word_buckets"] == BOOK_SENTENCE_BUCKETS and m["collisions"] == 0
    assert m["collision_probability"] == pytest.approx(0.0441394, abs=1e-7)
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
    assert m["best_val_accuracy"] == m["final_val_accuracy"] == m["history"]["val_accuracy"][-1]
    assert set(m["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert _finite(m["history"]["loss"])
    name = script.__name__.split(".")[-1]
    assert result["figures"] == [f"chapter06/{name}.smoke_curves.png"]
    _saved(out_dir, result)
    assert {s["kind"] for s in result["data"]} == {"made-for-tests"}
    assert {s["what"] for s in result["data"]} >= {"IMDB raw reviews (aclImdb)", "IMDB word index"}


def test_bidirectional_lstm_reversed_variant(ch6_data, out_dir):
    """--reversed: the notebook's run (reviews reversed, then padded), kept under its own name."""
    forward = bidirectional_lstm.main(smoke_args(ch6_data, out_dir))
    result = bidirectional_lstm.main(smoke_args(ch6_data, out_dir, "--reversed"))
    assert forward["variant"] is None and forward["settings"]["reversed"] is False
    assert result["variant"] == "reversed" and result["settings"]["reversed"] is True
    assert result["book"] == bidirectional_lstm.BOOKS["reversed"]
    assert result["figures"] == ["chapter06/bidirectional_lstm@reversed.smoke_curves.png"]
    assert (out_dir / "chapter06" / "bidirectional_lstm@reversed.smoke.json").is_file()
    assert set(result["metrics"]) == set(forward["metrics"])
    # same seed and model: only the order of the words differs, so the training does
    assert result["metrics"]["history"]["loss"] != forward["metrics"]["history"]["loss"]


def test_imdb_embedding_best_epoch_of_several(ch6_data, out_dir):
    result = imdb_embedding.main(smoke_args(ch6_data, out_dir, "--epochs", "3", "--maxlen", "8"))
    m = result["metrics"]
    val = m["history"]["val_accuracy"]
    assert len(val) == 3 and m["best_val_accuracy"] == max(val)
    assert m["best_val_epoch"] == int(np.argmax(val)) + 1 and m["final_val_accuracy"] == val[-1]
    assert result["settings"]["maxlen"] == 8 and result["settings"]["epochs"] == 3


def test_imdb_glove_smoke_both_variants(ch6_data, out_dir):
    result = imdb_glove.main(smoke_args(ch6_data, out_dir))
    m = result["metrics"]
    assert math.isfinite(m["test_loss"]) and _finite(m["history"]["loss"])
    assert m["best_val_accuracy"] == max(m["history"]["val_accuracy"])
    assert m["glove_words_found"] == m["vocabulary_size"] - 2  # every fake word has a vector
    assert "GloVe word vectors" in {s["what"] for s in result["data"]}
    assert result["variant"] is None
    assert result["figures"] == ["chapter06/imdb_glove.smoke_curves.png"]
    _saved(out_dir, result)

    learned = imdb_glove.main(smoke_args(ch6_data, out_dir, "--glove", "none"))
    assert learned["variant"] == "learned_embedding"
    assert learned["metrics"]["glove_words_found"] is None
    assert "GloVe word vectors" not in {s["what"] for s in learned["data"]}
    assert learned["figures"] == ["chapter06/imdb_glove@learned_embedding.smoke_curves.png"]
    _saved(out_dir, learned)
    # same seed, same data, same model: only the GloVe matrix (frozen) makes the runs differ
    assert learned["metrics"]["history"]["loss"] != m["history"]["loss"]


def _glove_file_vectors(path):
    """The fake GloVe file read without the code under test."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {w: np.array(v, "float32") for w, *v in (line.split() for line in lines)}


def test_glove_embedding_rows_are_the_words_vectors(ch6_data):
    folders = _folders(ch6_data)
    texts, labels = imdb.load_reviews(folders, "train")
    vectorizer = keras.layers.TextVectorization(max_tokens=GLOVE_FULL["max_words"], ragged=True)
    vectorizer.adapt(np.array(texts))
    vocabulary = vectorizer.get_vocabulary()
    path = glove.find(folders)
    vectors = _glove_file_vectors(path)
    index, dim = parse_glove(path, words=set(vocabulary))
    matrix, found = build_embedding_matrix(vocabulary, index, dim)
    assert found == len(vocabulary) - 2 and dim == 100
    model = imdb_glove.build_model(8, len(vocabulary), dim, matrix)
    embedding = model.layers[0]
    assert isinstance(embedding, keras.layers.Embedding) and embedding.trainable is False
    before = embedding.get_weights()[0]
    for i, word in enumerate(vocabulary[2:], 2):
        assert np.array_equal(before[i], vectors[word]), word
    assert not before[:2].any()  # padding and OOV
    # a text reaches its words' vectors: text -> indices -> embedding rows
    first, second = vocabulary[5], vocabulary[9]
    rows = embedding(texts_to_sequences(vectorizer, [f"{first} {second}"], maxlen=2))[0]
    np.testing.assert_array_equal(rows, [vectors[first], vectors[second]])
    # frozen: training moves the Dense layers, not the GloVe rows
    x, y = texts_to_sequences(vectorizer, texts, 8), labels.astype("float32")
    dense_before = model.layers[2].get_weights()[0]
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.array_equal(embedding.get_weights()[0], before)
    assert not np.array_equal(model.layers[2].get_weights()[0], dense_before)
    # learned_embedding: the same model with a trainable, trained Embedding
    learned = imdb_glove.build_model(8, len(vocabulary), dim)
    assert learned.layers[0].trainable is True
    start = learned.layers[0].get_weights()[0]
    learned.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert not np.array_equal(learned.layers[0].get_weights()[0], start)


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
    _saved(out_dir, result)


def test_plot_temperature_draws_the_series():
    temperature = np.sin(np.arange(2000) / 50.0)
    whole, days = jena_generator.plot_temperature(temperature).axes
    np.testing.assert_array_equal(whole.lines[0].get_ydata(), temperature)
    np.testing.assert_array_equal(days.lines[0].get_ydata(), temperature[:1440])


@pytest.mark.parametrize("script", [jena_gru, jena_stacked_gru, jena_conv1d_gru])
def test_jena_networks_smoke(script, ch6_data, out_dir):
    result = script.main(smoke_args(ch6_data, out_dir))
    m = result["metrics"]
    assert set(m) == set(jena_gru.BOOK) | {
        "best_val_mae_celsius",
        "history",
        "val_steps",
        "final_val_mae",
    }
    assert _finite([m["best_val_mae"], m["best_val_mae_celsius"]])
    assert m["best_val_mae"] == m["history"]["val_loss"][0]  # the MAE is the loss
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
