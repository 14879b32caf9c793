"""Chapter 6: the book's experiments added for issue 10, each pinned to its notebook cell.

Scripts: imdb_simple_rnn (6.2 cell 11), jena_dense_baseline (6.3 cell 24), jena_gru_dropout
(6.3 cell 34), jena_reversed_gru (6.3 cells 43-44), imdb_reversed_lstm (6.3 cell 47),
jena_bidirectional_gru (6.3 cell 54), jena_conv1d (6.4 cell 9). Every model as its full profile
builds it (layers, settings, compile, parameter count), the full profiles' settings, the
reversing steps, and a smoke run of each on made-for-tests data.
"""

import ast
import inspect
import json
import math

import fakedata
import keras
import numpy as np
import pytest
from fakedata.jena import jena_rows
from support import smoke_args

from catalogue import CATALOGUE
from chapter06 import (
    imdb_reversed_lstm,
    imdb_simple_rnn,
    jena_bidirectional_gru,
    jena_conv1d,
    jena_dense_baseline,
    jena_gru_dropout,
    jena_reversed_gru,
)
from dlwp import timeseries
from dlwp.data import imdb, jena
from dlwp.data.core import DataFolders
from dlwp.errors import MissingData
from dlwp.timeseries import BOOK_SETTINGS

IMDB_SCRIPTS = [imdb_simple_rnn, imdb_reversed_lstm]
JENA_SCRIPTS = [
    jena_dense_baseline,
    jena_gru_dropout,
    jena_reversed_gru,
    jena_bidirectional_gru,
    jena_conv1d,
]
SCRIPTS = IMDB_SCRIPTS + JENA_SCRIPTS
JENA_FEATURES = len(jena.COLUMNS) - 1  # 14: "Date Time" is dropped
JENA_CSV = "datasets/jena_climate_2009_2016.csv"


def _name(script) -> str:
    return script.__name__.split(".")[-1]


@pytest.fixture(scope="session")
def book_data(tmp_path_factory):
    """Raw IMDB + word index and a 1,000-row Jena CSV, in the real formats."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("ch6_book_data"))
    fakedata.write_imdb_raw(root)
    fakedata.write_jena(root)
    return root


# ---- every model as its full profile builds it --------------------------------------------------

SHOWN = (  # every one of these a layer has is shown, default or not
    "input_dim",
    "output_dim",
    "units",
    "filters",
    "kernel_size",
    "pool_size",
    "strides",
    "padding",
    "activation",
    "recurrent_activation",
    "use_bias",
    "dropout",
    "recurrent_dropout",
    "reset_after",
    "return_sequences",
    "go_backwards",
    "merge_mode",
)


def _layer(layer) -> str:
    """GRU(units=32, activation=tanh, recurrent_activation=sigmoid, ..., reset_after=False)."""
    c, kind = layer.get_config(), type(layer).__name__
    shown = [f"{k}={c[k]}" for k in SHOWN if k in c]
    if kind == "Bidirectional":
        shown.insert(0, _layer(layer.forward_layer))
        shown.append(f"backward={_layer(layer.backward_layer)}")
    return f"{kind}({', '.join(shown)})"


def _gru(**extra):
    settings = {"dropout": 0.0, "recurrent_dropout": 0.0, **extra}
    return (
        "GRU(units=32, activation=tanh, recurrent_activation=sigmoid, use_bias=True, "
        f"dropout={settings['dropout']}, recurrent_dropout={settings['recurrent_dropout']}, "
        f"reset_after=False, return_sequences=False, go_backwards={extra.get('backwards', False)})"
    )


def _conv():
    return (
        "Conv1D(filters=32, kernel_size=(5,), strides=(1,), padding=valid, activation=relu, "
        "use_bias=True)"
    )


POOL3 = "MaxPooling1D(pool_size=(3,), strides=(3,), padding=valid)"
DENSE_LINEAR = "Dense(units=1, activation=linear, use_bias=True)"
DENSE_SIGMOID = "Dense(units=1, activation=sigmoid, use_bias=True)"
MAE = ("RMSprop", 0.001, "mae", [])
BINARY = ("RMSprop", 0.001, "binary_crossentropy", ["accuracy"])
JENA_SHAPE = (None, None, JENA_FEATURES)

BOOK_MODELS = {
    # notebook 6.2 cell 4 prints Embedding(10000, 32) + SimpleRNN(32): 322,080; + Dense(1): 33
    "imdb_simple_rnn": (
        lambda: imdb_simple_rnn.build_model(imdb_simple_rnn.PROFILES["full"]["maxlen"]),
        (None, 500),
        [
            "Embedding(input_dim=10000, output_dim=32)",
            "SimpleRNN(units=32, activation=tanh, use_bias=True, dropout=0.0, "
            "recurrent_dropout=0.0, return_sequences=False, go_backwards=False)",
            DENSE_SIGMOID,
        ],
        BINARY,
        322080 + 33,
    ),
    # no summary in 6.3: the counts the listings imply
    # Flatten: 240 timesteps x 14 = 3,360 inputs -> Dense(32): 3360 x 32 + 32; Dense(1): 33
    "jena_dense_baseline": (
        lambda: jena_dense_baseline.build_model(
            BOOK_SETTINGS["lookback"] // BOOK_SETTINGS["step"], JENA_FEATURES
        ),
        (None, 240, JENA_FEATURES),
        [
            "Flatten()",
            "Dense(units=32, activation=relu, use_bias=True)",
            DENSE_LINEAR,
        ],
        MAE,
        3360 * 32 + 32 + 33,
    ),
    # Keras 2's GRU(32) on 14 inputs: 3 gates x (14 x 32 + 32 x 32 + 32) = 4,512; + 33
    "jena_gru_dropout": (
        lambda: jena_gru_dropout.build_model(JENA_FEATURES),
        JENA_SHAPE,
        [_gru(dropout=0.2, recurrent_dropout=0.2), DENSE_LINEAR],
        MAE,
        4512 + 33,
    ),
    "jena_reversed_gru": (
        lambda: jena_reversed_gru.build_model(JENA_FEATURES),
        JENA_SHAPE,
        [_gru(), DENSE_LINEAR],
        MAE,
        4512 + 33,
    ),
    # 4 gates x (128 x 32 + 32 x 32 + 32) = 20,608 after the 1,280,000 embedding weights
    "imdb_reversed_lstm": (
        lambda: imdb_reversed_lstm.build_model(imdb_reversed_lstm.PROFILES["full"]["maxlen"]),
        (None, 500),
        [
            "Embedding(input_dim=10000, output_dim=128)",
            "LSTM(units=32, activation=tanh, recurrent_activation=sigmoid, use_bias=True, "
            "dropout=0.0, recurrent_dropout=0.0, return_sequences=False, go_backwards=False)",
            DENSE_SIGMOID,
        ],
        BINARY,
        1280000 + 20608 + 33,
    ),
    # two GRUs of 4,512, then Dense(1) on the 64 concatenated units: 65
    "jena_bidirectional_gru": (
        lambda: jena_bidirectional_gru.build_model(JENA_FEATURES),
        JENA_SHAPE,
        [
            f"Bidirectional({_gru()}, merge_mode=concat, backward={_gru(backwards=True)})",
            DENSE_LINEAR,
        ],
        MAE,
        2 * 4512 + 65,
    ),
    # (5 x 14 x 32 + 32) + 2 x (5 x 32 x 32 + 32) + 33
    "jena_conv1d": (
        lambda: jena_conv1d.build_model(JENA_FEATURES),
        JENA_SHAPE,
        [
            _conv(),
            POOL3,
            _conv(),
            POOL3,
            _conv(),
            "GlobalMaxPooling1D()",
            DENSE_LINEAR,
        ],
        MAE,
        2272 + 2 * 5152 + 33,
    ),
}


def _describe(model) -> dict:
    opt = model.optimizer
    metrics = model.get_compile_config()["metrics"] or []
    return {
        "input": model.input_shape,
        "layers": [_layer(layer) for layer in model.layers],
        "compile": (
            type(opt).__name__,
            round(float(keras.ops.convert_to_numpy(opt.learning_rate)), 6),
            model.loss,
            metrics,
        ),
        "params": model.count_params(),
    }


@pytest.mark.parametrize("name", BOOK_MODELS)
def test_full_profile_model_is_the_books(name):
    build, input_shape, layers, compiled, params = BOOK_MODELS[name]
    expected = {"input": input_shape, "layers": layers, "compile": compiled, "params": params}
    assert _describe(build()) == expected


def test_the_book_models_cover_every_new_script():
    assert sorted(BOOK_MODELS) == sorted(_name(s) for s in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=_name)
def test_main_builds_its_model_with_build_model(script):
    """The pinned build_model is the model main trains: main calls it and builds no other."""
    called = _calls(_main(script))
    assert "build_model" in called
    assert not called & {"Sequential", "Model", "compile", "set_weights"}, called


def _main(script) -> ast.FunctionDef:
    tree = ast.parse(inspect.getsource(script))
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")


def _calls(node) -> set[str]:
    return {
        n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", None)
        for n in ast.walk(node)
        if isinstance(n, ast.Call)
    }


def _fit_keywords(script) -> dict:
    """The keywords of main's `model.fit(...)`, as source text."""
    fit = next(
        n
        for n in ast.walk(_main(script))
        if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "fit"
    )
    keywords = {k.arg: ast.unparse(k.value) for k in fit.keywords}
    keywords["_args"] = [ast.unparse(a) for a in fit.args]
    return keywords


# ---- the full profiles are the notebooks' settings ---------------------------------------------

FULL = {
    # name: (full profile, notebook cell)
    "imdb_simple_rnn": {"epochs": 10, "samples": None, "maxlen": 500},  # 6.2 cells 9, 11
    "imdb_reversed_lstm": {"epochs": 10, "samples": None, "maxlen": 500},  # 6.3 cell 47
    "jena_dense_baseline": {"epochs": 20},  # 6.3 cell 24
    "jena_gru_dropout": {"epochs": 40},  # 6.3 cell 34
    "jena_reversed_gru": {"epochs": 20},  # 6.3 cell 44
    "jena_bidirectional_gru": {"epochs": 40},  # 6.3 cell 54
    "jena_conv1d": {"epochs": 20},  # 6.4 cell 9
}
NOTEBOOK_JENA = {  # 6.3 cell 17 and 6.4 cell 8: the generators; steps_per_epoch=500
    "lookback": 1440,
    "step": 6,
    "delay": 144,
    "batch_size": 128,
    "train_end": 200000,
    "val_end": 300000,
    "steps_per_epoch": 500,
    "val_steps": None,  # the book's (300000 - 200001 - lookback) // batch_size
}


@pytest.mark.parametrize("script", SCRIPTS, ids=_name)
def test_full_profile_is_the_notebooks(script):
    expected = dict(FULL[_name(script)])
    if script in JENA_SCRIPTS:
        expected.update(NOTEBOOK_JENA)
    assert script.PROFILES["full"] == expected
    fit = _fit_keywords(script)
    assert fit["epochs"] == "args.epochs"
    if script in IMDB_SCRIPTS:
        assert fit["batch_size"] == "128" and fit["validation_split"] == "0.2"
    else:
        assert fit["steps_per_epoch"] == "args.steps_per_epoch"
        assert fit["validation_steps"] == "val_steps"


@pytest.mark.parametrize("script", SCRIPTS, ids=_name)
def test_book_numbers_are_cited_by_cell(script):
    """Every BOOK value has its notebook cell beside it, and BOOK's keys are metrics."""
    source = inspect.getsource(script)
    start = source.index("BOOK = {")
    block = source[start : source.index("\n}\n", start)].splitlines()[1:]
    assert len(block) == len(script.BOOK)
    for line in block:
        assert "# " in line and " cell" in line, line
    assert all(isinstance(v, int | float) for v in script.BOOK.values())


def test_the_catalogue_lists_them_in_the_books_order():
    chapter6 = [ex.stem for ex in CATALOGUE if ex.chapter == "chapter06"]
    order = [
        "numpy_simple_rnn",
        "imdb_simple_rnn",
        "imdb_lstm",
        "jena_generator",
        "jena_dense_baseline",
        "jena_gru",
        "jena_gru_dropout",
        "jena_stacked_gru",
        "jena_reversed_gru",
        "imdb_reversed_lstm",
        "bidirectional_lstm",
        "jena_bidirectional_gru",
        "imdb_conv1d",
        "jena_conv1d",
        "jena_conv1d_gru",
    ]
    assert [s for s in chapter6 if s in order] == order


# ---- the reversing steps -----------------------------------------------------------------------


def test_reverse_and_pad_reverses_then_pads_keeping_the_first_words():
    sequences = [[1, 2, 3], [4, 5, 6, 7, 8, 9]]
    padded = imdb_reversed_lstm.reverse_and_pad(sequences, maxlen=4)
    np.testing.assert_array_equal(padded, [[0, 3, 2, 1], [7, 6, 5, 4]])
    assert sequences == [[1, 2, 3], [4, 5, 6, 7, 8, 9]]  # the input is left as it was


def test_imdb_reversed_lstm_trains_on_reversed_reviews(book_data):
    """main's data step: the reviews of imdb.load_data, each reversed, then padded."""
    assert "reverse_and_pad" in _calls(_main(imdb_reversed_lstm))
    (x_train, _), _ = imdb.load_data(DataFolders.resolve(book_data), num_words=10000)
    padded = imdb_reversed_lstm.reverse_and_pad(x_train[:20], 50)
    for review, row in zip(x_train[:20], padded):
        kept = min(len(review), 50)
        np.testing.assert_array_equal(row[-kept:], review[:kept][::-1])
        assert not row[:-kept].any()


def test_reverse_order_yields_the_books_batches_reversed_in_time():
    series = np.arange(3000 * 3, dtype="float32").reshape(3000, 3)
    settings = {"lookback": 60, "delay": 12, "min_index": 0, "max_index": 2000, "step": 6}
    forward = timeseries.generator(series, batch_size=8, **settings)
    reverse = jena_reversed_gru.reverse_order(
        timeseries.generator(series, batch_size=8, **settings)
    )
    for _ in range(3):
        (samples, targets), (reversed_samples, reversed_targets) = next(forward), next(reverse)
        np.testing.assert_array_equal(reversed_samples, samples[:, ::-1, :])
        np.testing.assert_array_equal(reversed_targets, targets)
    # the first timestep is the most recent row: one step before the row the target follows
    rows = (reversed_targets - 1) / 3 - 12  # series[r, 1] = 3r + 1, target = series[row + 12]
    np.testing.assert_array_equal(reversed_samples[:, 0, 0], (rows - 6) * 3)


def test_jena_reversed_gru_fits_on_the_reversed_generators():
    main = _main(jena_reversed_gru)
    reversed_names = {
        t.id
        for n in ast.walk(main)
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Tuple)
        for t, v in zip(n.targets[0].elts, n.value.elts)
        if isinstance(v, ast.Call) and getattr(v.func, "id", None) == "reverse_order"
    }
    fit = _fit_keywords(jena_reversed_gru)
    assert fit["_args"][0] in reversed_names and fit["validation_data"] in reversed_names
    assert fit["_args"][0] != fit["validation_data"]


# ---- every script on made-for-tests data ------------------------------------------------------


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


@pytest.mark.parametrize("script", IMDB_SCRIPTS, ids=_name)
def test_imdb_scripts_smoke(script, book_data, out_dir):
    result = script.main(smoke_args(book_data, out_dir, "--epochs", "2"))
    m = result["metrics"]
    assert set(m) == {"best_val_accuracy", "best_val_epoch", "final_val_accuracy", "history"}
    assert set(script.BOOK) <= set(m)
    val = m["history"]["val_accuracy"]
    assert len(val) == 2 and m["best_val_accuracy"] == max(val)
    assert m["best_val_epoch"] == int(np.argmax(val)) + 1 and m["final_val_accuracy"] == val[-1]
    assert set(m["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(math.isfinite(v) for v in m["history"]["loss"])
    assert result["settings"]["maxlen"] == 50 and result["settings"]["samples"] == 200
    assert result["figures"] == [f"chapter06/{_name(script)}.smoke_curves.png"]
    _saved(out_dir, result)
    assert {s["kind"] for s in result["data"]} == {"made-for-tests"}


@pytest.mark.parametrize("script", JENA_SCRIPTS, ids=_name)
def test_jena_scripts_smoke(script, book_data, out_dir):
    result = script.main(smoke_args(book_data, out_dir))
    m = result["metrics"]
    assert set(m) == {
        "best_val_mae",
        "best_val_epoch",
        "final_val_mae",
        "best_val_mae_celsius",
        "history",
        "val_steps",
    }
    assert set(script.BOOK) <= set(m)
    assert m["best_val_mae"] == m["final_val_mae"] == m["history"]["val_loss"][0]  # MAE = loss
    assert math.isfinite(m["best_val_mae"]) and m["best_val_epoch"] == 1
    std = jena_rows(1000)[1][:500, 1].std()  # T (degC) over the smoke profile's training rows
    assert m["best_val_mae_celsius"] == pytest.approx(m["best_val_mae"] * std)
    assert m["val_steps"] == 2
    assert result["figures"] == [f"chapter06/{_name(script)}.smoke_mae.png"]
    assert [s["file"] for s in result["data"]] == [JENA_CSV]
    _saved(out_dir, result)


@pytest.mark.parametrize("script", JENA_SCRIPTS, ids=_name)
def test_jena_scripts_fail_clearly_without_the_csv(script, empty_data, out_dir):
    with pytest.raises(MissingData) as exc:
        script.main(smoke_args(empty_data, out_dir))
    assert JENA_CSV in exc.value.files and "keras-datasets" in exc.value.fix
    assert not out_dir.exists()
