"""Chapter 7, callbacks (section 7.2.1): EarlyStopping, ModelCheckpoint and ReduceLROnPlateau on
the IMDB network of section 3.4; which reviews are trained and validated on, prepared as that
section does, and the callbacks' settings per profile."""

import json
import math
import os
import subprocess
import sys

import fakedata
import keras
import numpy as np
import pytest
from ch07_helpers import RMSPROP, compiled, imdb_sequences, inputs, specs
from fakedata.imdb import write_imdb_npz
from support import REPO_ROOT, assert_rows_from, smoke_args

from chapter07 import callbacks
from dlwp import models
from dlwp.data import imdb
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData


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


@pytest.fixture(scope="module")
def imdb_npz(tmp_path_factory):
    """A data folder with a tiny imdb.npz whose reviews each hold a word naming them."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("imdb_npz"))
    write_imdb_npz(root)
    return root


def multi_hot(seqs, dimension=10000):
    """Section 3.4's encoding, written here: row i has a 1 at every index in seqs[i]."""
    out = np.zeros((len(seqs), dimension), dtype="float32")
    for i, seq in enumerate(seqs):
        out[i, seq] = 1.0
    return out


@pytest.mark.parametrize(
    "extra", [[], [*LISTING_FLAGS, "--batch-size", "32"]], ids=["quick_settings", "book_listing"]
)
def test_callbacks_smoke(out_dir, imdb_npz, extra, keras_calls):
    result = callbacks.main(smoke_args(imdb_npz, out_dir, *extra))
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
    assert [s["what"] for s in result["data"]] == ["IMDB (Keras imdb.npz)"]
    assert all(s["kind"] == "made-for-tests" for s in result["data"])
    assert str(out_dir) not in json.dumps(result) and str(imdb_npz) not in json.dumps(result)

    # What reached Keras, against imdb.npz read here: training reviews only (the test split is
    # never touched), multi-hot over 10,000 words; the first 100 of the 320 taken held out for
    # validation, the other 220 trained on, each review with its own label
    seqs, labels = imdb_sequences(imdb_npz / "datasets" / "imdb.npz", "train", 10000)
    reference = multi_hot(seqs)
    [fit] = keras_calls.of("fit")
    x_val, y_val = fit.validation_data
    rows = {}
    for name, x, y, n in (("train", fit.x, fit.y, 220), ("val", x_val, y_val, 100)):
        assert x.dtype == np.float32 and x.shape == (n, 10000) and set(np.unique(x)) == {0, 1}
        rows[name] = assert_rows_from(x, reference, f"{name} rows (IMDB training reviews)")
        assert len(set(rows[name])) == n
        assert y.dtype == np.float32 and np.array_equal(y, labels[rows[name]])
    assert not set(rows["train"]) & set(rows["val"])
    assert 0 < y_val.mean() < 1 and 0 < fit.y.mean() < 1
    # the reloaded checkpoint is judged on the same validation rows (fit's own validation calls
    # evaluate too, on the trained model)
    [evaluate] = [c for c in keras_calls.of("evaluate") if c.model is not fit.model]
    assert np.array_equal(evaluate.x, x_val) and np.array_equal(evaluate.y, y_val)
    # settings: smoke's 4 epochs; batch 512 (section 3.4's) or the listing's 32; the callbacks
    assert (fit.epochs, fit.batch_size) == (4, 32 if extra else 512)
    assert fit.learning_rate == pytest.approx(1e-3)
    es, ckpt, plateau = fit.callbacks
    assert (es.monitor, es.patience) == (monitor, patience)
    assert (ckpt.monitor, ckpt.save_best_only) == ("val_loss", True)
    assert (plateau.monitor, plateau.factor, plateau.patience) == ("val_loss", 0.1, lr_patience)


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
