"""Chapter 7, TensorBoard (section 7.2.2): the IMDB 1-D convnet's logs, which reviews it trained
on, prepared as listing 7.16 does, and the live TensorBoard server (started, fetched, stopped)."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fakedata
import keras
import numpy as np
import pytest
from ch07_helpers import (
    RMSPROP,
    compiled,
    finite,
    imdb_sequences,
    inputs,
    specs,
)
from fakedata.imdb import write_imdb_npz
from support import REPO_ROOT, assert_rows_from, smoke_args

from chapter07 import tensorboard_logging
from dlwp import UserError


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


@pytest.fixture(scope="module")
def imdb_npz(tmp_path_factory):
    """A data folder with a tiny imdb.npz whose reviews each hold a word naming them."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("imdb_npz"))
    write_imdb_npz(root)
    return root


def test_tensorboard_logging_smoke(out_dir, imdb_npz, keras_calls):
    result = tensorboard_logging.main(smoke_args(imdb_npz, out_dir, "--no-server-check"))
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
    assert str(out_dir) not in json.dumps(result) and str(imdb_npz) not in json.dumps(result)

    # What reached Keras, against imdb.npz read here (listing 7.16): 200 training reviews, the
    # 2,000 most frequent words (others the out-of-vocabulary 2), padded or cut to their last
    # 500 words at the front (pad_sequences' defaults), each with its own label
    seqs, labels = imdb_sequences(imdb_npz / "datasets" / "imdb.npz", "train", 2000)
    reference = keras.utils.pad_sequences(seqs, maxlen=500)
    expected = np.zeros((len(seqs), 500), dtype="int32")  # the padding, written out here
    for i, seq in enumerate(seqs):
        kept = seq[-500:]
        expected[i, 500 - len(kept) :] = kept
    assert np.array_equal(reference, expected)
    assert (expected[:, 0] > 0).any() and (expected[:, 0] == 0).any()  # some cut, some padded
    [fit] = keras_calls.of("fit")
    assert fit.x.shape == (200, 500) and fit.x.max() < 2000
    idx = assert_rows_from(fit.x, expected, "IMDB training reviews")
    assert len(set(idx)) == 200 and np.array_equal(fit.y, labels[idx])
    assert fit.y.dtype == np.float32 and 0 < fit.y.mean() < 1
    # the book's fit: 20% held out by validation_split, batch 128; smoke's 1 epoch; the callback
    assert (fit.validation_split, fit.batch_size, fit.epochs) == (0.2, 128, 1)
    assert fit.args.get("validation_data") is None
    assert fit.learning_rate == pytest.approx(1e-3)
    [board] = fit.callbacks
    assert isinstance(board, keras.callbacks.TensorBoard)
    assert (board.histogram_freq, board.embeddings_freq) == (1, 1)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_tensorboard_serve_answers_and_stops_on_ctrl_c(imdb_npz, tmp_path, stop_signal):
    """The script from the shell with --serve: it checks the real server on a smoke run's logs,
    keeps serving; the test fetches the page from 127.0.0.1, presses Ctrl-C (or `kill`s the
    script), and the script stops the server: nothing is left."""
    out = tmp_path / "results"
    logdir = out / "chapter07" / "tensorboard" / "tensorboard_logging"
    cmd = [sys.executable, str(REPO_ROOT / "chapter07" / "tensorboard_logging.py")]
    cmd += smoke_args(imdb_npz, out, "--serve")
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
