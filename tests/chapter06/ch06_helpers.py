"""What chapter 6's test files share (not fixtures: those live in tests/conftest.py): the saved
results check, models written out layer by layer, main's calls read from the source, an
extracted aclImdb/ folder whose reviews and word ranks the tests choose, and the Jena CSV read
without the code under test."""

from __future__ import annotations

import ast
import csv
import inspect
import json
import math
import re
from pathlib import Path

import keras
import numpy as np
from fakedata.imdb import IMDB_INDEX_FROM, IMDB_NUM_WORDS, IMDB_OOV, IMDB_START

from dlwp.data import jena


def name(script) -> str:
    return script.__name__.split(".")[-1]


def finite(values) -> bool:
    return all(math.isfinite(v) for v in values)


def saved(out_dir, result) -> dict:
    """The results JSON a smoke run wrote, checked to hold no path of this machine."""
    text = (out_dir / "chapter06" / f"{result['exercise'].split('/')[-1]}.smoke.json").read_text()
    assert str(out_dir.parent.parent) not in text  # pytest's base folder: the data, the output
    data = json.loads(text)
    assert data["metrics"] == result["metrics"] and data["profile"] == "smoke"
    for figure in data["figures"]:
        assert (out_dir / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return data


# ---- main, read from the source ---------------------------------------------------------------


def main_of(script) -> ast.FunctionDef:
    tree = ast.parse(inspect.getsource(script))
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")


def calls_in(node) -> set[str]:
    return {
        n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", None)
        for n in ast.walk(node)
        if isinstance(n, ast.Call)
    }


def fit_keywords(script) -> dict:
    """The keywords of main's one `model.fit(...)`, as source text (`_args`: its positionals)."""
    (fit,) = [
        n
        for n in ast.walk(main_of(script))
        if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "fit"
    ]
    keywords = {k.arg: ast.unparse(k.value) for k in fit.keywords}
    keywords["_args"] = [ast.unparse(a) for a in fit.args]
    return keywords


def assert_main_builds_with_build_model(script):
    """The pinned build_model is the model main trains: main calls it and builds no other."""
    called = calls_in(main_of(script))
    assert "build_model" in called
    assert not called & {"Sequential", "Model", "compile", "set_weights"}, called


# ---- models, layer by layer -------------------------------------------------------------------

# the short form shows a setting only where it differs from Keras' default
SHORT_DEFAULTS = {
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


def short_layer(layer) -> str:
    """A layer as the book writes it: Conv1D(32, 7, relu), GRU(32, tanh, dropout=0.1), ..."""
    c, kind = layer.get_config(), type(layer).__name__
    if kind == "Bidirectional":
        args = [short_layer(layer.forward_layer)]
    else:
        args = [c[k] for k in ("input_dim", "output_dim", "units", "filters") if k in c]
        args += [c[k][0] for k in ("kernel_size", "pool_size") if k in c]
        args += [c[k] for k in ("activation", "rate") if k in c]
    for key, default in SHORT_DEFAULTS.items():
        if key == "strides" and key in c:
            default = c.get("pool_size", (1,))
        if key in c and c[key] != default:
            args.append(f"{key}={c[key]}")
    if not layer.trainable:
        args.append("frozen")
    return f"{kind}({', '.join(map(str, args))})"


def describe_short(model) -> dict:
    opt = model.optimizer
    learning_rate = float(keras.ops.convert_to_numpy(opt.learning_rate))
    return {
        "input": model.input_shape,
        "layers": [short_layer(layer) for layer in model.layers],
        "compile": f"{type(opt).__name__}(learning_rate={learning_rate:.3g}, "
        f"epsilon={opt.epsilon:.3g}), loss={model.loss}",
    }


SHOWN = (  # the long form shows every one of these a layer has, default or not
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


def long_layer(layer) -> str:
    """GRU(units=32, activation=tanh, recurrent_activation=sigmoid, ..., reset_after=False)."""
    c, kind = layer.get_config(), type(layer).__name__
    shown = [f"{k}={c[k]}" for k in SHOWN if k in c]
    if kind == "Bidirectional":
        shown.insert(0, long_layer(layer.forward_layer))
        shown.append(f"backward={long_layer(layer.backward_layer)}")
    return f"{kind}({', '.join(shown)})"


def describe_long(model) -> dict:
    opt = model.optimizer
    metrics = model.get_compile_config()["metrics"] or []
    return {
        "input": model.input_shape,
        "layers": [long_layer(layer) for layer in model.layers],
        "compile": (
            type(opt).__name__,
            round(float(keras.ops.convert_to_numpy(opt.learning_rate)), 6),
            model.loss,
            metrics,
        ),
        "params": model.count_params(),
    }


def gru(**extra) -> str:
    """The long form of the book's Keras 2 GRU(32)."""
    settings = {"dropout": 0.0, "recurrent_dropout": 0.0, **extra}
    return (
        "GRU(units=32, activation=tanh, recurrent_activation=sigmoid, use_bias=True, "
        f"dropout={settings['dropout']}, recurrent_dropout={settings['recurrent_dropout']}, "
        f"reset_after=False, return_sequences=False, go_backwards={extra.get('backwards', False)})"
    )


CONV5 = (
    "Conv1D(filters=32, kernel_size=(5,), strides=(1,), padding=valid, activation=relu, "
    "use_bias=True)"
)
POOL3 = "MaxPooling1D(pool_size=(3,), strides=(3,), padding=valid)"
DENSE_LINEAR = "Dense(units=1, activation=linear, use_bias=True)"
DENSE_SIGMOID = "Dense(units=1, activation=sigmoid, use_bias=True)"
MAE = ("RMSprop", 0.001, "mae", [])
BINARY = ("RMSprop", 0.001, "binary_crossentropy", ["accuracy"])
SHORT_BINARY = "RMSprop(learning_rate=0.001, epsilon=1e-16), loss=binary_crossentropy"
SHORT_MAE = "RMSprop(learning_rate=0.001, epsilon=1e-16), loss=mae"
JENA_FEATURES = len(jena.COLUMNS) - 1  # 14: "Date Time" is dropped
# the notebooks' Jena generators (6.3 cell 17, 6.4 cell 8) and steps_per_epoch=500
NOTEBOOK_JENA = {"delay": 144, "batch_size": 128, "train_end": 200000, "val_end": 300000}


def gru_params(d, u):
    """A Keras 2 GRU(u) on d inputs: 3 gates x (d u + u u + u), one bias per gate."""
    return 3 * (d * u + u * u + u)


def lstm_params(d, u):
    return 4 * (d * u + u * u + u)


# ---- IMDB: an extracted aclImdb/ folder (written by fakedata.imdb.write_imdb_folder) read back --


def read_imdb_folder(root: Path, subset: str) -> tuple[list[list[int]], np.ndarray]:
    """The reviews of `subset` as Keras' load_data gives them, read here: neg then pos, each by
    id; start index 1, rank + 3 below 10,000, else the OOV index 2; words not in the index
    dropped. Returns (sequences, labels)."""
    ranks = json.loads((root / "datasets" / "imdb_word_index.json").read_text())
    sequences, labels = [], []
    for label, lab in enumerate(("neg", "pos")):
        files = sorted(
            (root / "datasets" / "aclImdb" / subset / lab).glob("*.txt"),
            key=lambda p: int(p.name.split("_")[0]),
        )
        for f in files:
            tokens = re.findall(r"[a-z0-9]+", f.read_text().lower())
            indices = [ranks[w] + IMDB_INDEX_FROM for w in tokens if w in ranks]
            kept = [i if i < IMDB_NUM_WORDS else IMDB_OOV for i in indices]
            sequences.append([IMDB_START, *kept])
            labels.append(label)
    return sequences, np.array(labels)


def pre_pad(sequences, maxlen) -> np.ndarray:
    """Zeros first, then the LAST maxlen entries of each sequence (Keras' default 'pre')."""
    out = np.zeros((len(sequences), maxlen), dtype="int64")
    for i, seq in enumerate(sequences):
        kept = list(seq)[-maxlen:]
        if kept:
            out[i, maxlen - len(kept) :] = kept
    return out


# ---- Jena ---------------------------------------------------------------------------------------


def read_jena_csv(path: Path) -> np.ndarray:
    """The CSV's 14 measurements per row, float64, "Date Time" dropped, read with csv."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return np.array([[float(v) for v in row[1:]] for row in rows[1:]])


def normalised(values: np.ndarray, train_end: int) -> np.ndarray:
    """The book's normalisation: the first train_end rows' mean and std, applied to all rows."""
    mean = values[:train_end].sum(axis=0) / train_end
    std = np.sqrt(((values[:train_end] - mean) ** 2).sum(axis=0) / train_end)
    return (values - mean) / std


def window_rows(samples, series, lookback, step, reverse=False) -> np.ndarray:
    """For each sample, the row r whose window series[r - lookback : r : step] it is (reversed
    in time when `reverse`); asserts every sample is such a window to float32 rounding."""
    starts = np.arange(lookback, len(series) + 1)
    windows = np.stack([series[r - lookback : r : step] for r in starts])
    if reverse:
        windows = windows[:, ::-1]
    samples = np.asarray(samples, dtype="float64")
    assert samples.shape[1:] == windows.shape[1:], (samples.shape, windows.shape)
    rows = []
    for sample in samples:  # one at a time: all windows at once can be 100s of MB
        distance = np.abs(windows - sample).max(axis=(1, 2))
        best = int(distance.argmin())
        assert distance[best] < 1e-4, (
            f"a sample is {distance[best]} away from every window of the normalised CSV"
        )
        rows.append(starts[best])
    return np.array(rows)


# the full Jena profile of notebook 6.3 (cells 17 and 29 on): lookback 1440, step 6, all of the
# validation range (val_steps None: the book's (300000 - 200001 - 1440) // 128 batches)
BOOK_JENA_FULL = {
    "lookback": 1440,
    "step": 6,
    **NOTEBOOK_JENA,
    "steps_per_epoch": 500,
    "val_steps": None,
}


def assert_fits_with_the_profiles_jena_settings(script):
    """main's fit takes epochs and steps from the flags, and the validation steps it computed."""
    fit = fit_keywords(script)
    assert fit["epochs"] == "args.epochs"
    assert fit["steps_per_epoch"] == "args.steps_per_epoch"
    assert fit["validation_steps"] == "val_steps"


def assert_book_numbers_cited_by_cell(script):
    """Every BOOK value has its notebook cell beside it, and BOOK's keys are metrics."""
    source = inspect.getsource(script)
    start = source.index("BOOK = {")
    block = source[start : source.index("\n}\n", start)].splitlines()[1:]
    assert len(block) == len(script.BOOK)
    for line in block:
        assert "# " in line and " cell" in line, line
    assert all(isinstance(v, int | float) for v in script.BOOK.values())
