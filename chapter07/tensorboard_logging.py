"""TensorBoard: log an IMDB 1-D convnet's training, and serve the logs with the real TensorBoard.

Deep Learning with Python, section 7.2.2 (listings 7.16-7.18). IMDB reviews (2,000 most frequent
words, padded to 500) train a 1-D convnet, Embedding(2000, 128) -> Conv1D(32, 7) -> MaxPooling1D(5)
-> Conv1D(32, 7) -> GlobalMaxPooling1D -> Dense(1, sigmoid), with a `keras.callbacks.TensorBoard`
callback writing to results/chapter07/tensorboard/<script>/: epoch scalars, weight histograms
(`histogram_freq=1`) and the embedding projector configuration (`embeddings_freq=1`). The script
reads the event files back, then starts `tensorboard` on 127.0.0.1 to check that it serves both
runs, and stops it; with `--serve` it keeps running until Ctrl-C, for a browser.

Book: no numbers printed (screenshots of the TensorBoard pages).

Run:  python chapter07/tensorboard_logging.py [--profile smoke|quick|full] [--serve]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import json
import math
import shutil
import signal
import socket
import sys
import threading
import time
import urllib.request

import keras
import numpy as np
from keras import layers

from dlwp import UserError, flags, graphs, processes, results
from dlwp.data import imdb
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "train_samples": 200},
    "quick": {"epochs": 4, "train_samples": 5000},
    "full": {"epochs": 20, "train_samples": None},
}
BOOK = {
    "histogram_epochs": "one per epoch",
    "event_runs": "train, validation",
    "server_answered": "yes",
    "val_accuracy": None,
}
MAX_FEATURES = 2000
MAX_LEN = 500
HOST = "127.0.0.1"
# Only 127.0.0.1 is ever fetched: no proxy, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def build_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(MAX_LEN,), dtype="int32"),
            layers.Embedding(MAX_FEATURES, 128, name="embed"),
            layers.Conv1D(32, 7, activation="relu"),
            layers.MaxPooling1D(5),
            layers.Conv1D(32, 7, activation="relu"),
            layers.GlobalMaxPooling1D(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def read_event_logs(logdir):
    """Per run (train, validation): the scalar tags, histogram count and histogram steps logged."""
    from tensorboard.backend.event_processing import event_accumulator

    summary = {}
    for run_dir in sorted(p for p in logdir.iterdir() if p.is_dir()):
        if not list(run_dir.glob("events.out.tfevents.*")):
            continue
        acc = event_accumulator.EventAccumulator(str(run_dir), size_guidance={"tensors": 0})
        acc.Reload()
        tensors = acc.Tags()["tensors"]
        histograms = [t for t in tensors if t.endswith("/histogram")]
        summary[run_dir.name] = {
            "scalars": sorted(t for t in tensors if t.startswith("epoch_")),
            "histograms": len(histograms),
            "histogram_steps": sorted({e.step for t in histograms for e in acc.Tensors(t)}),
        }
    return summary


# ---- The book's `tensorboard --logdir=my_log_dir`, on 127.0.0.1 only


def free_port(host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def fetch(url, timeout=5.0):
    """GET an http://127.0.0.1 URL; returns (status, body)."""
    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"only {HOST} is fetched, not {url}")
    with _OPENER.open(url, timeout=timeout) as response:
        return response.status, response.read()


def start_tensorboard(logdir, timeout=90.0):
    """`tensorboard --logdir LOGDIR` on 127.0.0.1 at a free port, once it answers: (process, url).

    The server gets a process group of its own inside our session: a terminal's Ctrl-C reaches
    this script only, which then stops the server (`processes.stop`). Its output goes to
    <logdir>.server.log.
    """
    if not logdir.is_dir():
        raise UserError(f"no TensorBoard logs in {logdir.name}/", "train first: run this script")
    port = free_port()
    url = f"http://{HOST}:{port}/"
    log_path = logdir.with_name(logdir.name + ".server.log")
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", logdir]
    cmd += ["--host", HOST, "--port", port, "--load_fast", "false"]
    with open(log_path, "w") as log:
        proc = processes.start(cmd, log=log, session=False)
    try:
        deadline = time.monotonic() + timeout
        while not answers(url):  # until it answers, or we know why it will not
            if processes.exited(proc, timeout=0.25):
                tail = " | ".join(log_path.read_text(errors="replace").strip().splitlines()[-3:])
                problem = f"tensorboard exited with status {proc.wait()} before answering ({tail})"
            elif time.monotonic() > deadline:
                problem = f"tensorboard did not answer at {url} within {timeout:.0f} s"
            else:
                continue
            raise UserError(problem, f"see {log_path.name} next to the logs")
        return proc, url
    except BaseException:  # UserError, or Ctrl-C while waiting: never leave it running
        processes.stop(proc)
        raise


def answers(url):
    try:
        return fetch(url, timeout=2.0)[0] == 200
    except OSError:  # not listening yet (urllib's URLError is an OSError)
        return False


def server_runs(url, expected=("train", "validation"), timeout=60.0):
    """The runs the server lists at /data/runs, once it has loaded all `expected` (or timed out)."""
    deadline = time.monotonic() + timeout
    runs = []
    while time.monotonic() < deadline:
        runs = json.loads(fetch(url + "data/runs")[1])
        if set(expected) <= set(runs):
            break
        time.sleep(0.5)
    return sorted(runs)


def serve(logdir, server=None):
    """Serve `logdir` until Ctrl-C or SIGTERM (or until the server exits); always stops it.

    `server` is a (process, url) pair from `start_tensorboard` to keep serving; None starts one.
    """
    proc, url = server or start_tensorboard(logdir)
    previous = {}
    try:
        if threading.current_thread() is threading.main_thread():
            # Ctrl-C works even where SIGINT was inherited as ignored; `kill` stops it cleanly too
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
            previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        print(f"TensorBoard at {url} (serving {logdir}); press Ctrl-C to stop", flush=True)
        processes.exited(proc, timeout=math.inf)  # Ctrl-C interrupts this wait
        print(f"tensorboard exited by itself (see {logdir.name}.server.log)")
    except KeyboardInterrupt:
        print("\nstopping TensorBoard ...", flush=True)
    finally:
        processes.stop(proc)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("TensorBoard stopped", flush=True)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument(
        "--serve", action="store_true", help="after the run, serve the logs until Ctrl-C"
    )
    parser.add_argument(
        "--no-server-check", action="store_true", help="do not start TensorBoard to check the logs"
    )
    parser.add_argument("--train-samples", type=flags.positive_int, help="IMDB reviews to use")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "TensorBoard callback and server", BOOK)

    # Data: IMDB, the 2,000 most frequent words, reviews cut or padded to 500 words
    (x_train, y_train), _ = imdb.load_data(args.folders, num_words=MAX_FEATURES)
    n = args.train_samples or len(x_train)
    x_train = keras.utils.pad_sequences(x_train[:n], maxlen=MAX_LEN)
    y_train = np.asarray(y_train[:n]).astype("float32")

    # Model
    model = build_model()
    model.summary()
    graph = graphs.plot_model(model, run.path("_model.png"))
    if graph:
        run.add_figure(graph)

    # Train with the TensorBoard callback; a fresh log folder per run
    logdir = run.dir / "tensorboard" / run.name
    shutil.rmtree(logdir, ignore_errors=True)
    logdir.mkdir(parents=True)
    # embeddings_freq: Keras 3 writes the projector config and .weights.h5 files, which the
    # projector tab (it reads TF checkpoints) may not show
    tensorboard = keras.callbacks.TensorBoard(
        log_dir=str(logdir), histogram_freq=1, embeddings_freq=1
    )
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=128,
        validation_split=0.2,
        callbacks=[tensorboard],
        verbose=2,
    )

    # What was logged, read back from the event files
    logs = read_event_logs(logdir)
    train = logs.get("train", {})
    steps = train.get("histogram_steps", [])
    projector = (logdir / "projector_config.pbtxt").exists()
    embedding_files = sorted(p.name for p in (logdir / "train").glob("keras_embedding*.weights.h5"))
    print(f"event logs: {logs}; projector config: {projector}")
    metrics = {
        "histogram_epochs": "one per epoch" if steps == list(range(args.epochs)) else str(steps),
        "histograms_per_epoch": train.get("histograms", 0),
        "event_runs": ", ".join(logs),
        "scalars": {run_name: v["scalars"] for run_name, v in logs.items()},
        "projector_config": "yes" if projector else "no",
        "embedding_weight_files": len(embedding_files),
        "val_accuracy": history.history["val_accuracy"][-1],
        "logdir": str(logdir.relative_to(run.dir)),
        "model_graph": graph.name if graph else "not plotted (pydot/Graphviz missing)",
    }

    # The server: start `tensorboard` on 127.0.0.1, check that it serves the page and both runs
    server = None
    try:
        if not args.no_server_check:
            t0 = time.perf_counter()
            server = start_tensorboard(logdir)
            status, page = fetch(server[1])
            runs = server_runs(server[1])
            if not args.serve:
                processes.stop(server[0])
            answered = status == 200 and b"<html" in page.lower() and "train" in runs
            print(f"TensorBoard answered at {server[1]}: status {status}, runs {runs}")
            metrics.update(
                server_answered="yes" if answered else "no",
                server_runs=runs,
                server_check_seconds=round(time.perf_counter() - t0, 1),
            )
        result = run.finish(metrics)
        if args.serve:  # keep serving (or start serving) until Ctrl-C
            serve(logdir, server)
    finally:
        if server:
            processes.stop(server[0])
    return result


if __name__ == "__main__":
    flags.run(main)
