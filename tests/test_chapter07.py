"""Chapter 7: functional-API wiring, callbacks, TensorBoard logs and the live TensorBoard server."""

import contextlib
import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers
from support import REPO_ROOT, smoke_args

from chapter07 import (
    callbacks,
    custom_callback,
    inception_module,
    multi_input_qa,
    multi_output,
    residual_connection,
    siamese_lstm,
    tensorboard_logging,
)
from dlwp import UserError, graphs, models
from dlwp.data import imdb
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData

GRAPHVIZ = importlib.util.find_spec("pydot") is not None and shutil.which("dot") is not None


def finite(*values):
    return all(math.isfinite(v) for v in values)


def spec(layer):
    """A layer as the book writes it: 'Conv2D(128, 3, strides=2, padding=same, relu)'."""
    c, kind = layer.get_config(), type(layer).__name__

    def short(v):  # (3, 3) -> 3
        v = tuple(v) if isinstance(v, list | tuple) else v
        return v[0] if isinstance(v, tuple) and len(set(v)) == 1 else v

    sizes = ("units", "filters", "input_dim", "output_dim", "rate", "target_shape")
    args = [c[k] for k in sizes if k in c]
    args += [short(c[k]) for k in ("kernel_size", "pool_size") if k in c]
    if "strides" in c and short(c["strides"]) not in (1, short(c.get("pool_size", 1))):
        args.append(f"strides={short(c['strides'])}")
    if c.get("padding", "valid") != "valid":
        args.append(f"padding={c['padding']}")
    if c.get("activation", "linear") != "linear":
        args.append(c["activation"])
    return f"{kind}({', '.join(map(str, args))})"


def specs(model):
    return [spec(layer) for layer in model.layers if not isinstance(layer, layers.InputLayer)]


def chain(model, tensor):
    """The layers from one of `model`'s inputs to `tensor`: [input name, spec, spec, ...]."""
    producer = {id(layer.output): layer for layer in model.layers}
    out = []
    while not isinstance(layer := producer[id(tensor)], layers.InputLayer):
        out.insert(0, spec(layer))
        tensor = layer.input
    return [tensor.name, *out]


def inputs(model):
    return [(tuple(t.shape), t.dtype) for t in model.inputs]


def compiled(model):
    """The compile settings: optimizer class and learning rate, loss(es), loss weights, metrics."""
    config = model.get_compile_config()
    optimizer = config["optimizer"]
    return {
        "optimizer": f"{optimizer['class_name']}({optimizer['config']['learning_rate']:.6g})",
        **{k: config[k] for k in ("loss", "loss_weights", "metrics")},
    }


RMSPROP = "RMSprop(0.001)"  # the book's optimizer="rmsprop"


def tensorboard_processes(logdir):
    """Pids of running `tensorboard.main` processes serving `logdir` (none must be left)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if "tensorboard.main" in cmdline and str(logdir) in cmdline and state != "Z":
            pids.append(int(proc.name))
    return pids


# ---- multi_input_qa


def test_multi_input_qa_is_the_books_model():
    """Listing 7.1: text -> Embedding(10000, 64) -> LSTM(32), question -> Embedding(10000, 32) ->
    LSTM(16), concatenated, Dense(500, softmax)."""
    model = multi_input_qa.build_model()
    assert inputs(model) == [((None, None), "int32")] * 2
    concat = model.layers[-2]
    assert isinstance(concat, layers.Concatenate) and concat.axis == -1
    assert chain(model, concat.input[0]) == ["text", "Embedding(10000, 64)", "LSTM(32, tanh)"]
    assert chain(model, concat.input[1]) == ["question", "Embedding(10000, 32)", "LSTM(16, tanh)"]
    assert specs(model)[-1] == "Dense(500, softmax)" and model.layers[-1].input is concat.output
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": "categorical_crossentropy",
        "loss_weights": None,
        "metrics": ["accuracy"],
    }


def test_multi_input_qa_inputs_by_name_and_shapes():
    model = multi_input_qa.build_model()
    assert [t.name for t in model.inputs] == ["text", "question"]
    assert tuple(model.output.shape) == (None, multi_input_qa.ANSWER_VOCABULARY_SIZE)
    text, question, answers = multi_input_qa.random_data(6, 7, seed=0)
    assert text.shape == question.shape == (6, 7) and answers.shape == (6, 500)
    assert np.array_equal(answers.sum(axis=1), np.ones(6)) and text.min() >= 1
    by_list = model.predict([text, question], verbose=0)
    by_name = model.predict({"question": question, "text": text}, verbose=0)
    swapped = model.predict([question, text], verbose=0)
    assert np.allclose(by_list, by_name, atol=1e-6)
    assert not np.allclose(by_list, swapped, atol=1e-6)  # the names, not the order, matched


def test_multi_input_qa_smoke(out_dir, tiny_data):
    result = multi_input_qa.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["prediction_shape"] == "(samples, 500)" and m["prediction_array_shape"] == [64, 500]
    assert m["input_names"] == ["text", "question"]
    assert finite(m["loss_list_inputs"], m["loss_dict_inputs"])
    assert result["data"] == []  # random data: no files read
    assert (out_dir / "chapter07" / "multi_input_qa.smoke.json").exists()
    # the graph, where pydot and Graphviz are here, is a figure named relative to the output folder
    graph = ["chapter07/multi_input_qa.smoke_model.png"] if GRAPHVIZ else []
    assert result["figures"] == graph


def test_plot_model_graph_never_fails(tmp_path, capsys):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    path = graphs.plot_model(model, tmp_path / "g.png")
    if GRAPHVIZ:  # pydot and Graphviz' dot here: a PNG
        assert path == tmp_path / "g.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:  # one line, no file, no exception
        assert path is None and not (tmp_path / "g.png").exists()
        assert capsys.readouterr().out.startswith("note: model graph not plotted")


# ---- multi_output


def test_multi_output_is_the_books_model():
    """Listings 7.4-7.5: one trunk, three heads, the book's losses and loss weights."""
    model = multi_output.build_model()
    assert [t.name for t in model.inputs] == ["posts"]
    assert inputs(model) == [((None, None), "int32")]
    assert specs(model) == [
        "Embedding(50000, 256)",
        "Conv1D(128, 5, relu)",
        "MaxPooling1D(5)",
        "Conv1D(256, 5, relu)",
        "Conv1D(256, 5, relu)",
        "MaxPooling1D(5)",
        "Conv1D(256, 5, relu)",
        "Conv1D(256, 5, relu)",
        "GlobalMaxPooling1D()",
        "Dense(128, relu)",
        "Dense(1)",
        "Dense(10, softmax)",
        "Dense(1, sigmoid)",
    ]
    assert model.output_names == ["age", "income", "gender"]
    trunk = model.layers[-4].output
    assert all(model.get_layer(h).input is trunk for h in ("age", "income", "gender"))
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": {
            "age": "mse",
            "income": "categorical_crossentropy",
            "gender": "binary_crossentropy",
        },
        "loss_weights": {"age": 0.25, "income": 1.0, "gender": 10.0},
        "metrics": None,
    }


def test_multi_output_heads_and_weighted_loss(out_dir, tiny_data):
    result = multi_output.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["output_names"] == ["age", "income", "gender"]
    heads = [m["age_loss"], m["income_loss"], m["gender_loss"]]
    assert finite(*heads, m["total_loss"])
    assert math.isclose(m["total_loss"], 0.25 * heads[0] + heads[1] + 10 * heads[2], rel_tol=1e-3)
    assert not math.isclose(m["total_loss"], sum(heads), rel_tol=1e-2)  # the weights count
    assert m["output_shapes"] == "age (samples, 1), income (samples, 10), gender (samples, 1)"
    assert set(m["history"]) >= {"loss", "age_loss", "income_loss", "gender_loss"}


def test_multi_output_rejects_short_posts(out_dir):
    with pytest.raises(UserError) as exc:
        multi_output.main(
            ["--profile", "smoke", "--post-length", "100", "--output-dir", str(out_dir)]
        )
    assert exc.value.problem == "--post-length 100 is too short" and "269" in exc.value.fix
    assert not out_dir.exists()  # refused before anything ran


# ---- inception_module


def test_inception_module_concatenates_four_branches():
    x = keras.Input(shape=(32, 32, 3))
    out = inception_module.inception_module(x)
    assert tuple(out.shape) == (None, 16, 16, 512)
    module = keras.Model(x, out)
    concat = module.layers[-1]
    assert isinstance(concat, layers.Concatenate) and len(concat.input) == 4 and concat.axis == -1
    assert all(tuple(t.shape) == (None, 16, 16, 128) for t in concat.input)
    # the book's four branches (section 7.1.4), each from x; padding "same" is our port's
    assert [chain(module, t)[1:] for t in concat.input] == [
        ["Conv2D(128, 1, strides=2, relu)"],
        ["Conv2D(128, 1, relu)", "Conv2D(128, 3, strides=2, padding=same, relu)"],
        ["AveragePooling2D(3, strides=2, padding=same)", "Conv2D(128, 3, padding=same, relu)"],
        [
            "Conv2D(128, 1, relu)",
            "Conv2D(128, 3, padding=same, relu)",
            "Conv2D(128, 3, strides=2, padding=same, relu)",
        ],
    ]
    assert all(chain(module, t)[0] == x.name for t in concat.input)
    _, classifier = inception_module.build_model(32)
    assert specs(classifier)[-2:] == ["GlobalAveragePooling2D()", "Dense(10, softmax)"]
    assert compiled(classifier)["loss"] == "sparse_categorical_crossentropy"


def test_inception_module_smoke(out_dir, tiny_data):
    m = inception_module.main(smoke_args(tiny_data, out_dir))["metrics"]
    assert m["output_shape"] == "(8, 8, 512)"
    assert m["branch_output_shapes"] == ["(8, 8, 128)"] * 4
    assert m["branches_trained"] == "a, b, c, d" and finite(m["final_loss"])


# ---- residual_connection


def test_residual_blocks_shapes_and_shortcuts():
    identity, projected = residual_connection.build_blocks(32)
    assert tuple(identity.output.shape) == (None, 32, 32, 128)
    assert tuple(projected.output.shape) == (None, 16, 16, 128)
    assert inputs(identity) == [((None, 32, 32, 128), "float32")]
    assert inputs(projected) == [((None, 32, 32, 64), "float32")]
    # section 7.1.4: the branch, then add([y, x]) / add([y, residual])
    add = identity.layers[-1]
    assert isinstance(add, layers.Add) and isinstance(projected.layers[-1], layers.Add)
    assert chain(identity, add.input[0])[1:] == ["Conv2D(128, 3, padding=same, relu)"] * 3
    assert add.input[1] is identity.input
    y, residual = projected.layers[-1].input
    assert chain(projected, y)[1:] == [
        "Conv2D(128, 3, padding=same, relu)",
        "Conv2D(128, 3, padding=same, relu)",
        "MaxPooling2D(2)",
    ]
    assert chain(projected, residual)[1:] == ["Conv2D(128, 1, strides=2, padding=same)"]
    x = np.random.default_rng(0).standard_normal((2, 32, 32, 128)).astype("float32")
    assert np.array_equal(residual_connection.zero_branch_output(identity, x), x)
    # with the branch live, the output is not just x
    assert not np.allclose(identity.predict(x, verbose=0), x)
    # projected, branch zeroed: the 1x1 strided conv of x, computed here with NumPy
    x64 = x[..., :64]
    kernel, bias = projected.get_layer("projection").get_weights()
    expected = x64[:, ::2, ::2, :] @ kernel[0, 0] + bias
    got = residual_connection.zero_branch_output(projected, x64)
    assert np.allclose(got, expected, atol=1e-4)
    assert not np.allclose(projected.predict(x64, verbose=0), expected, atol=1e-2)


def test_residual_connection_smoke(out_dir, tiny_data):
    m = residual_connection.main(smoke_args(tiny_data, out_dir))["metrics"]
    assert m["identity_output_shape"] == "(16, 16, 128)"
    assert m["projected_output_shape"] == "(8, 8, 128)"
    assert finite(m["identity_final_loss"], m["projected_final_loss"])


def test_residual_connection_rejects_odd_size(out_dir):
    with pytest.raises(UserError) as exc:
        residual_connection.main(
            ["--profile", "smoke", "--image-size", "15", "--output-dir", str(out_dir)]
        )
    assert exc.value.problem == "--image-size 15 is odd" and "even" in exc.value.fix


# ---- siamese_lstm


def test_siamese_lstm_shares_one_set_of_weights():
    model, encoder = siamese_lstm.build_model()
    # listing 7.12: one LSTM(32) on two (None, 128) inputs, concatenated, Dense(1, sigmoid)
    assert [t.name for t in model.inputs] == ["left", "right"]
    assert inputs(model) == [((None, None, 128), "float32")] * 2
    assert specs(model) == ["LSTM(32, tanh)", "Concatenate()", "Dense(1, sigmoid)"]
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": "binary_crossentropy",
        "loss_weights": None,
        "metrics": ["accuracy"],
    }
    (lstm,) = siamese_lstm.lstm_layers(model)
    assert len(lstm.trainable_weights) == 3  # one kernel, recurrent kernel, bias
    assert len(model.trainable_weights) == 5  # + the Dense kernel and bias
    assert model.count_params() == 4 * 32 * (128 + 32 + 1) + (64 + 1)
    rng = np.random.default_rng(0)
    left, right = rng.standard_normal((2, 3, 5, 128)).astype("float32")
    enc_left, enc_right = encoder.predict([left, left], verbose=0)
    assert np.array_equal(enc_left, enc_right)  # same input, same weights: same encoding
    assert siamese_lstm.branches_after_weight_change(encoder, left, right) == (True, True)

    # Control: two separate LSTMs. Changing one moves only its branch, so the check is sharp.
    a, b = keras.Input((None, 128)), keras.Input((None, 128))
    first = layers.LSTM(32)
    control = keras.Model([a, b], [first(a), layers.LSTM(32)(b)])
    before = control.predict([left, right], verbose=0)
    first.set_weights([w * 2 for w in first.get_weights()])
    after = control.predict([left, right], verbose=0)
    assert not np.allclose(before[0], after[0]) and np.array_equal(before[1], after[1])


def test_siamese_lstm_smoke(out_dir, tiny_data):
    m = siamese_lstm.main(smoke_args(tiny_data, out_dir))["metrics"]
    assert m["lstm_layers"] == 1 and m["lstm_weight_sets"] == 1 and m["lstm_parameters"] == 20608
    assert finite(m["final_loss"])


# ---- callbacks


def test_callbacks_model_is_section_3_4s():
    model = callbacks.build_model()
    assert inputs(model) == [((None, 10000), "float32")]
    assert specs(model) == ["Dense(16, relu)", "Dense(16, relu)", "Dense(1, sigmoid)"]
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": "binary_crossentropy",
        "loss_weights": None,
        "metrics": ["accuracy"],
    }
    # the book's listings (section 7.2.1): EarlyStopping(monitor='acc', patience=1),
    # ModelCheckpoint(monitor='val_loss', save_best_only=True), ReduceLROnPlateau(monitor=
    # 'val_loss', factor=0.1, patience=10)
    es, ckpt, lr = callbacks.make_callbacks("best.keras")
    assert (es.monitor, es.patience) == ("accuracy", 1)
    assert (ckpt.monitor, ckpt.save_best_only, ckpt.filepath) == ("val_loss", True, "best.keras")
    assert (lr.monitor, lr.factor, lr.patience) == ("val_loss", 0.1, 10)


def test_callbacks_full_profile_is_the_books_listing():
    """`full`: the listings' callbacks with fit(epochs=10, batch_size=32); quick and smoke watch
    the validation accuracy, as the book's comments say, with shorter patiences."""
    full = callbacks.parse_args(["--profile", "full"])
    assert (full.monitor, full.patience, full.lr_patience) == ("accuracy", 1, 10)
    assert (full.epochs, full.batch_size, full.train_samples) == (10, 32, None)
    for profile in ("quick", "smoke"):
        args = callbacks.parse_args(["--profile", profile])
        assert (args.monitor, args.patience, args.lr_patience, args.batch_size) == (
            "val_accuracy",
            2,
            1,
            512,
        )
    args = callbacks.parse_args(
        ["--profile", "full", "--monitor", "val_accuracy", "--patience", "3"]
    )
    assert (args.monitor, args.patience, args.lr_patience) == ("val_accuracy", 3, 10)


def test_vectorize_sequences_is_multi_hot():
    x = callbacks.vectorize_sequences([[1, 3, 3], [], [0]], dimension=4)
    assert x.dtype == np.float32
    assert x.tolist() == [[0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]]
    assert callbacks.vectorize_sequences([[9999]]).shape == (1, callbacks.NUM_WORDS)


@pytest.fixture(scope="module")
def tiny_imdb(tiny_data, test_cache):
    # module scope: set up before the autouse env fixture, so the folders are given explicitly
    data = DataFolders.resolve(
        tiny_data, environ={"DLWP_OFFLINE": "1", "DLWP_CACHE_DIR": str(test_cache)}
    )
    (x, y), _ = imdb.load_data(data, num_words=callbacks.NUM_WORDS)
    x, y = callbacks.vectorize_sequences(x), np.asarray(y, dtype="float32")
    return (x[100:], y[100:]), (x[:100], y[:100])


def test_early_stopping_stops_on_a_plateau(tiny_imdb, tmp_path):
    (x, y), (x_val, y_val) = tiny_imdb
    model = callbacks.build_model()
    # learning rate 0: the validation accuracy cannot improve after the first epoch
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.0),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    cbs = callbacks.make_callbacks(tmp_path / "best.keras", patience=1)
    history = model.fit(
        x, y, epochs=10, batch_size=64, validation_data=(x_val, y_val), callbacks=cbs, verbose=0
    )
    assert len(history.history["loss"]) == 2 and cbs[0].stopped_epoch == 1
    assert (tmp_path / "best.keras").exists()


# Scripted validation metrics: a first callback overwrites the measured ones (the callbacks after
# it read the same logs dict), so where training stops, which epoch is saved and when the learning
# rate drops are known in advance. val_accuracy peaks at epoch 3, then 3 epochs without a rise
# (0.80 again is none): EarlyStopping(patience=3) ends the run after epoch 6. val_loss is lowest at
# epoch 4, neither the last epoch nor the best val_accuracy one.
VAL_ACCURACY = [0.60, 0.70, 0.80, 0.79, 0.80, 0.78, 0.90, 0.95, 0.96, 0.97]
VAL_LOSS = [0.60, 0.50, 0.45, 0.40, 0.42, 0.44, 0.30, 0.20, 0.10, 0.05]


def scripted_fit(checkpoint, patience, lr_patience, monitor="val_accuracy"):
    """`monitor` ("accuracy" or "val_accuracy") gets the scripted VAL_ACCURACY; the other one
    rises every epoch."""
    model = callbacks.build_model()
    weights = []  # the model's weights at each epoch end, as the checkpoint would save them
    other = {"accuracy": "val_accuracy", "val_accuracy": "accuracy"}[monitor]

    def script(epoch, logs):
        logs["val_loss"], logs[monitor] = VAL_LOSS[epoch], VAL_ACCURACY[epoch]
        logs[other] = 0.5 + 0.01 * epoch
        weights.append(model.get_weights())

    cbs = callbacks.make_callbacks(checkpoint, monitor, patience=patience, lr_patience=lr_patience)
    rng = np.random.default_rng(0)
    x = (rng.random((16, callbacks.NUM_WORDS)) < 0.01).astype("float32")
    y = rng.integers(0, 2, 16).astype("float32")
    history = model.fit(
        x,
        y,
        epochs=len(VAL_LOSS),
        batch_size=8,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=script), *cbs],
        verbose=0,
    )
    return model, cbs, history.history, weights


def test_callbacks_on_scripted_metrics(tmp_path):
    model, cbs, h, weights = scripted_fit(tmp_path / "best.keras", patience=3, lr_patience=2)
    # EarlyStopping watches val_accuracy with patience 3: epochs 4, 5, 6 bring no rise
    assert len(h["loss"]) == len(weights) == 6 and cbs[0].stopped_epoch == 5
    assert h["val_accuracy"] == VAL_ACCURACY[:6]
    # ModelCheckpoint kept epoch 4's model (lowest val_loss), not the last nor epoch 3's
    saved = models.load_model(tmp_path / "best.keras", "train again").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(saved, weights[3], strict=True))
    for other in (weights[2], weights[5]):
        assert not all(np.array_equal(a, b) for a, b in zip(saved, other))
    # ReduceLROnPlateau (val_loss, patience 2, factor 0.1): epochs 5 and 6 bring no new low, so
    # at the end of epoch 6 the rate drops once (the history logs it before the drop)
    assert np.allclose(h["learning_rate"], [1e-3] * 6)
    assert math.isclose(float(model.optimizer.learning_rate), 1e-4, rel_tol=1e-5)


def test_early_stopping_patience_counts(tmp_path):
    # patience 1: epoch 4 is already one without a rise
    _, cbs, h, _ = scripted_fit(tmp_path / "best.keras", patience=1, lr_patience=1)
    assert len(h["loss"]) == 4 and cbs[0].stopped_epoch == 3


def test_books_early_stopping_watches_the_training_accuracy(tmp_path):
    """The listing's monitor='acc' ("accuracy"): the training accuracy stalls at epoch 4 and the
    run stops there with patience 1, although the validation accuracy still rises; the
    listing's ReduceLROnPlateau (patience 10) has not acted."""
    model, cbs, h, _ = scripted_fit(
        tmp_path / "best.keras", patience=1, lr_patience=10, monitor="accuracy"
    )
    assert len(h["loss"]) == 4 and cbs[0].stopped_epoch == 3 and cbs[0].monitor == "accuracy"
    assert h["val_accuracy"] == [0.5, 0.51, 0.52, 0.53]
    assert np.allclose(h["learning_rate"], [1e-3] * 4)
    assert math.isclose(float(model.optimizer.learning_rate), 1e-3, rel_tol=1e-5)


def test_load_checkpoint_bad_file(tmp_path):
    bad = tmp_path / "best.keras"
    bad.write_bytes(b"not a keras file")
    with pytest.raises(BadData) as exc:
        models.load_model(bad, "run callbacks.py again")
    assert exc.value.fields["file"] == "best.keras" and exc.value.fix == "run callbacks.py again"
    assert exc.value.what.startswith("not a loadable Keras model")


LISTING_FLAGS = ["--monitor", "accuracy", "--patience", "1", "--lr-patience", "10"]


@pytest.mark.parametrize(
    "extra", [[], [*LISTING_FLAGS, "--batch-size", "32"]], ids=["quick_settings", "book_listing"]
)
def test_callbacks_smoke(out_dir, tiny_data, extra):
    result = callbacks.main(smoke_args(tiny_data, out_dir, *extra))
    m = result["metrics"]
    h = m["history"]
    s = result["settings"]
    monitor, patience, lr_patience = s["monitor"], s["patience"], s["lr_patience"]
    assert (monitor, patience, lr_patience) == (
        ("accuracy", 1, 10) if extra else ("val_accuracy", 2, 1)
    )
    # EarlyStopping (monitor, patience) stopped where its rule says, or the run went on
    best, stop = 0, None
    for epoch in range(1, len(h[monitor])):
        if h[monitor][epoch] > h[monitor][best]:
            best = epoch
        elif epoch - best >= patience:
            stop = epoch + 1
            break
    assert m["epochs_run"] == len(h["loss"]) == (stop or 4)
    assert m["stopped_epoch"] == (stop or "not stopped (4 epochs)")
    # the reloaded checkpoint is evaluated again: its val_loss is the history's lowest
    assert math.isclose(m["best_checkpoint_val_loss"], min(h["val_loss"]), rel_tol=1e-4)
    # ReduceLROnPlateau (val_loss, lr_patience, factor 0.1, min_delta 1e-4), the rate logged
    # before each drop
    lr, best, wait, expected = 1e-3, math.inf, 0, []
    for v in h["val_loss"]:
        expected.append(lr)
        if v < best - 1e-4:
            best, wait = v, 0
        else:
            wait += 1
            if wait >= lr_patience:
                lr, wait = lr * 0.1, 0
    assert np.allclose(m["learning_rate_per_epoch"], expected)
    if extra:  # patience 10: no drop within 4 epochs
        assert expected == [1e-3] * len(h["loss"])
    assert (out_dir / "chapter07" / "models" / "callbacks_best.keras").exists()
    assert m["checkpoint"] == "callbacks_best.keras"
    assert {s["what"] for s in result["data"]} >= {"IMDB raw reviews (aclImdb)"}
    assert all(s["kind"] == "made-for-tests" for s in result["data"])
    assert str(out_dir) not in json.dumps(result) and str(tiny_data) not in json.dumps(result)


def test_callbacks_missing_data_is_a_user_error(empty_data, out_dir):
    with pytest.raises(MissingData) as exc:
        callbacks.main(smoke_args(empty_data, out_dir))
    assert exc.value.files == [
        "datasets/imdb.npz",
        "datasets/aclImdb_v1.tar.gz",
        "datasets/aclImdb",
    ]
    assert exc.value.fields["searched"] == ["--data-dir", "$DLWP_CACHE_DIR"]
    assert str(empty_data) not in json.dumps(exc.value.to_dict())


def test_callbacks_missing_data_from_the_shell_is_one_line(empty_data, out_dir):
    cmd = [sys.executable, str(REPO_ROOT / "chapter07" / "callbacks.py")]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", DLWP_ERROR_JSON=str(out_dir.parent / "e.json"))
    done = subprocess.run(
        cmd + smoke_args(empty_data, out_dir), env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith("error: datasets/imdb.npz or ")
    assert "not found" in errors[0]
    stored = json.loads((out_dir.parent / "e.json").read_text())
    assert stored["kind"] == "missing input" and stored["files"] == [
        "datasets/imdb.npz",
        "datasets/aclImdb_v1.tar.gz",
        "datasets/aclImdb",
    ]


# ---- custom_callback


def test_custom_callback_model_is_section_2_1s():
    model = custom_callback.build_model()
    assert inputs(model) == [((None, 784), "float32")]
    assert specs(model) == ["Dense(512, relu)", "Dense(10, softmax)"]
    assert model.layers[0].name == "hidden"  # the logged layer
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": "categorical_crossentropy",
        "loss_weights": None,
        "metrics": ["accuracy"],
    }


def test_activation_logger_one_file_per_epoch(tmp_path):
    rng = np.random.default_rng(0)
    x, y = (
        rng.random((64, 784), dtype="float32"),
        keras.utils.to_categorical(rng.integers(0, 10, 64)),
    )
    model = custom_callback.build_model()
    logger = custom_callback.ActivationLogger("hidden", x[:5], tmp_path)
    model.fit(x, y, epochs=3, batch_size=16, callbacks=[logger], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"activations_at_epoch_{i}.npz" for i in (1, 2, 3)
    ]
    saved = [np.load(tmp_path / f"activations_at_epoch_{i}.npz") for i in (1, 2, 3)]
    assert all(f["activations"].shape == (5, 512) and str(f["layer"]) == "hidden" for f in saved)
    # the last file holds the final model's activations; each epoch's differ from the previous
    hidden = keras.Model(model.inputs, model.get_layer("hidden").output)
    assert np.allclose(saved[-1]["activations"], hidden.predict(x[:5], verbose=0), atol=1e-6)
    for a, b in zip(saved[:-1], saved[1:]):
        assert not np.allclose(a["activations"], b["activations"])
    # the figure draws image 0's first 128 activations, one row per epoch
    fig = custom_callback.plot_activations(logger.paths)
    (drawn,) = fig.axes[0].images
    rows = np.stack([f["activations"][0, :128] for f in saved])
    assert np.array_equal(np.asarray(drawn.get_array()), rows)


def test_custom_callback_smoke(out_dir, tiny_data):
    result = custom_callback.main(smoke_args(tiny_data, out_dir, "--epochs", "3"))
    m = result["metrics"]
    folder = out_dir / "chapter07" / "activations" / "custom_callback"
    assert m["activation_files"] == 3 and len(list(folder.glob("*.npz"))) == 3
    assert m["activation_shape"] == "(32, 512)"
    saved = [np.load(folder / f"activations_at_epoch_{i}.npz")["activations"] for i in (1, 2, 3)]
    changes = [float(np.mean(np.abs(b - a))) for a, b in zip(saved[:-1], saved[1:])]
    assert np.allclose(m["mean_abs_change_between_epochs"], changes) and min(changes) > 0
    assert result["figures"] == ["chapter07/custom_callback.smoke_activations.png"]
    png = out_dir / result["figures"][0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000


@pytest.mark.realdata
def test_custom_callback_on_real_mnist(real_data, tmp_path):
    result = custom_callback.main(smoke_args(real_data, tmp_path, "--epochs", "2"))
    m = result["metrics"]
    assert result["data"][0]["kind"] == "real"
    assert m["activation_files"] == 2 and m["activations_change"] == "yes"
    assert m["val_accuracy"] > 0.6  # 192 real training digits, 2 epochs: already well above chance


# ---- tensorboard_logging (and the live server)


def test_tensorboard_model_is_listing_7_16s():
    model = tensorboard_logging.build_model()
    assert inputs(model) == [((None, 500), "int32")]
    assert specs(model) == [
        "Embedding(2000, 128)",
        "Conv1D(32, 7, relu)",
        "MaxPooling1D(5)",
        "Conv1D(32, 7, relu)",
        "GlobalMaxPooling1D()",
        "Dense(1, sigmoid)",
    ]
    assert model.layers[0].name == "embed"
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": "binary_crossentropy",
        "loss_weights": None,
        "metrics": ["accuracy"],
    }


def test_tensorboard_logging_smoke(out_dir, tiny_data):
    result = tensorboard_logging.main(smoke_args(tiny_data, out_dir, "--no-server-check"))
    m = result["metrics"]
    logdir = out_dir / "chapter07" / "tensorboard" / "tensorboard_logging"
    assert m["event_runs"] == "train, validation"
    assert m["histogram_epochs"] == "one per epoch"
    assert m["histograms_per_epoch"] == 7  # embedding 1, two convs 2 + 2, dense 2
    assert "epoch_loss" in m["scalars"]["train"] and "epoch_accuracy" in m["scalars"]["validation"]
    assert m["projector_config"] == "yes" and m["embedding_weight_files"] == 1
    assert list((logdir / "train").glob("events.out.tfevents.*"))
    assert "server_answered" not in m and finite(m["val_accuracy"])
    assert m["logdir"] == "tensorboard/tensorboard_logging"
    assert str(out_dir) not in json.dumps(result) and str(tiny_data) not in json.dumps(result)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_tensorboard_serve_answers_and_stops_on_ctrl_c(tiny_data, tmp_path, stop_signal):
    """The script from the shell with --serve: it checks the real server on a smoke run's logs,
    keeps serving; the test fetches the page from 127.0.0.1, presses Ctrl-C (or `kill`s the
    script), and the script stops the server: nothing is left."""
    out = tmp_path / "results"
    logdir = out / "chapter07" / "tensorboard" / "tensorboard_logging"
    cmd = [sys.executable, str(REPO_ROOT / "chapter07" / "tensorboard_logging.py")]
    cmd += smoke_args(tiny_data, out, "--serve")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    start = time.perf_counter()
    proc = subprocess.Popen(  # in a group of its own, as a terminal runs a foreground command
        cmd,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        process_group=0,
    )
    try:
        url, lines = None, []
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "press Ctrl-C" in line:
                url = line.split("TensorBoard at ", 1)[1].split()[0]
        assert url and url.startswith("http://127.0.0.1:"), "".join(lines)[-2000:]
        served = time.perf_counter() - start
        assert tensorboard_processes(logdir)  # it is running now
        status, page = tensorboard_logging.fetch(url)
        assert status == 200 and b"<html" in page.lower()
        assert tensorboard_logging.server_runs(url) == ["train", "validation"]
        server_pids = tensorboard_processes(logdir)
        if stop_signal == signal.SIGINT:  # Ctrl-C: the terminal signals the foreground group,
            os.killpg(proc.pid, signal.SIGINT)  # which the server is not in; the script stops it
        else:
            proc.send_signal(signal.SIGTERM)  # `kill PID`
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in tensorboard_processes(logdir):  # only if the test failed: leave nothing
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 0, rest[-2000:]
    assert "stopping TensorBoard" in rest and "TensorBoard stopped" in rest
    assert tensorboard_processes(logdir) == []
    assert all(not Path(f"/proc/{pid}").exists() for pid in server_pids)
    # the run's own check (before serving) found the server answering with both runs
    m = json.loads((out / "chapter07" / "tensorboard_logging.smoke.json").read_text())["metrics"]
    assert m["server_answered"] == "yes" and m["server_runs"] == ["train", "validation"]
    seconds = time.perf_counter() - start
    assert seconds < 150
    print(f"run + server up: {served:.1f} s; fetch + Ctrl-C + stop: {seconds - served:.1f} s")


def test_serve_without_logs_is_a_user_error(tmp_path):
    with pytest.raises(UserError) as exc:
        tensorboard_logging.start_tensorboard(tmp_path / "nothing")
    assert exc.value.problem == "no TensorBoard logs in nothing/"
    assert not (tmp_path / "nothing.server.log").exists()  # no server was started


def test_fetch_refuses_other_hosts():
    with pytest.raises(ValueError, match="only 127.0.0.1"):
        tensorboard_logging.fetch("http://example.com/")
