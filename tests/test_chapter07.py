"""Chapter 7: functional-API wiring, callbacks, TensorBoard logs and the live TensorBoard server."""

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import REPO_ROOT, smoke_args
from keras import layers

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


def finite(*values):
    return all(math.isfinite(v) for v in values)


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
    assert m["inputs_by_name"] == "yes" and m["rows_sum_to_1"]
    assert m["input_names"] == ["text", "question"]
    assert finite(m["loss_list_inputs"], m["loss_dict_inputs"])
    assert result["data"] == []  # random data: no files read
    assert (out_dir / "chapter07" / "multi_input_qa.smoke.json").exists()
    # the graph, where pydot and Graphviz are here, is a figure named relative to the output folder
    assert result["figures"] in ([], ["chapter07/multi_input_qa.smoke_model.png"])


def test_plot_model_graph_never_fails(tmp_path, capsys):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    path = graphs.plot_model(model, tmp_path / "g.png")
    if path is None:  # pydot or Graphviz missing here: one line, no file, no exception
        assert not (tmp_path / "g.png").exists()
    else:
        assert path.exists() and path.stat().st_size > 0


# ---- multi_output


def test_multi_output_heads_and_weighted_loss(out_dir, tiny_data):
    result = multi_output.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["output_names"] == ["age", "income", "gender"]
    heads = [m["age_loss"], m["income_loss"], m["gender_loss"]]
    assert finite(*heads, m["total_loss"])
    assert math.isclose(m["total_loss"], 0.25 * heads[0] + heads[1] + 10 * heads[2], rel_tol=1e-3)
    assert not math.isclose(m["total_loss"], sum(heads), rel_tol=1e-2)  # the weights count
    assert m["total_is_weighted_sum"] == "yes"
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
    assert isinstance(concat, layers.Concatenate) and len(concat.input) == 4
    assert all(tuple(t.shape) == (None, 16, 16, 128) for t in concat.input)


def test_inception_module_smoke(out_dir, tiny_data):
    m = inception_module.main(smoke_args(tiny_data, out_dir))["metrics"]
    assert m["output_shape"] == "(8, 8, 512)" and m["computed_shape_matches"]
    assert m["branch_output_shapes"] == ["(8, 8, 128)"] * 4
    assert m["branches_trained"] == "a, b, c, d" and finite(m["final_loss"])


# ---- residual_connection


def test_residual_blocks_shapes_and_shortcuts():
    identity, projected = residual_connection.build_blocks(32)
    assert tuple(identity.output.shape) == (None, 32, 32, 128)
    assert tuple(projected.output.shape) == (None, 16, 16, 128)
    assert isinstance(identity.layers[-1], layers.Add) and isinstance(
        projected.layers[-1], layers.Add
    )
    x = np.random.default_rng(0).standard_normal((2, 32, 32, 128)).astype("float32")
    assert np.array_equal(residual_connection.zero_branch_output(identity, x), x)
    # with the branch live, the output is not just x
    assert not np.allclose(identity.predict(x, verbose=0), x)
    proj = projected.get_layer("projection")
    assert proj.strides == (2, 2) and proj.kernel_size == (1, 1)


def test_residual_connection_smoke(out_dir, tiny_data):
    m = residual_connection.main(smoke_args(tiny_data, out_dir))["metrics"]
    assert m["identity_output_shape"] == "(16, 16, 128)"
    assert m["projected_output_shape"] == "(8, 8, 128)"
    assert m["identity_shortcut_exact"] == m["projection_shortcut_exact"] == "yes"
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
    assert m["same_input_same_encoding"] == m["both_branches_move"] == "yes"
    assert finite(m["final_loss"])


# ---- callbacks


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


def test_checkpoint_reloads_the_best_epoch(tiny_imdb, tmp_path):
    (x, y), (x_val, y_val) = tiny_imdb
    predictions = []
    recorder = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: predictions.append(model.predict(x_val, verbose=0))
    )
    model = callbacks.build_model()
    cbs = callbacks.make_callbacks(tmp_path / "best.keras", patience=10)
    history = model.fit(
        x,
        y,
        epochs=5,
        batch_size=32,
        validation_data=(x_val, y_val),
        callbacks=cbs + [recorder],
        verbose=0,
    )
    best = int(np.argmin(history.history["val_loss"]))
    reloaded = models.load_model(tmp_path / "best.keras", "train again")
    assert np.allclose(reloaded.predict(x_val, verbose=0), predictions[best], atol=1e-6)
    others = [p for i, p in enumerate(predictions) if i != best]
    assert all(not np.allclose(p, predictions[best], atol=1e-6) for p in others)


def test_load_checkpoint_bad_file(tmp_path):
    bad = tmp_path / "best.keras"
    bad.write_bytes(b"not a keras file")
    with pytest.raises(BadData) as exc:
        models.load_model(bad, "run callbacks.py again")
    assert exc.value.fields["file"] == "best.keras" and exc.value.fix == "run callbacks.py again"
    assert exc.value.what.startswith("not a loadable Keras model")


def test_callbacks_smoke(out_dir, tiny_data):
    result = callbacks.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert 1 <= m["epochs_run"] <= 4 and 1 <= m["best_epoch"] <= m["epochs_run"]
    assert m["checkpoint_reloads_best"] == "yes"
    assert math.isclose(m["best_checkpoint_val_loss"], min(m["history"]["val_loss"]), rel_tol=1e-4)
    assert len(m["learning_rate_per_epoch"]) == m["epochs_run"]
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
    assert len(errors) == 1 and "datasets/imdb.npz not found" in errors[0]
    stored = json.loads((out_dir.parent / "e.json").read_text())
    assert stored["kind"] == "missing input" and stored["files"] == [
        "datasets/imdb.npz",
        "datasets/aclImdb_v1.tar.gz",
        "datasets/aclImdb",
    ]


# ---- custom_callback


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


def test_custom_callback_smoke(out_dir, tiny_data):
    result = custom_callback.main(smoke_args(tiny_data, out_dir, "--epochs", "3"))
    m = result["metrics"]
    folder = out_dir / "chapter07" / "activations" / "custom_callback"
    assert m["activation_files"] == 3 and len(list(folder.glob("*.npz"))) == 3
    assert m["activation_shape"] == "(32, 512)" and m["activations_change"] == "yes"
    assert len(m["mean_abs_change_between_epochs"]) == 2
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
