"""Callbacks: EarlyStopping, ModelCheckpoint and ReduceLROnPlateau on IMDB.

Deep Learning with Python, section 7.2.1. The IMDB network of section 3.4 (multi-hot 10,000 words
-> Dense 16 -> Dense 16 -> sigmoid) overfits after a few epochs, and the callbacks act during `fit`:
EarlyStopping interrupts training, ModelCheckpoint keeps the epoch with the lowest validation loss
(reloaded and evaluated: it must give the best validation loss of the history), ReduceLROnPlateau
divides the learning rate by 10 when the validation loss stalls. `full` is the book's listings
(EarlyStopping on the *training* accuracy, 10 epochs of batch 32), where EarlyStopping seldom
stops and ReduceLROnPlateau never acts; `quick` watches what the book's comments describe.

Book: the section's listings print nothing (and 7.2 has no notebook), so no book values.

Run:  python chapter07/callbacks.py [--profile smoke|quick|full] [--monitor M] [--patience N]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers

from dlwp import flags, models, results
from dlwp.data import imdb
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

# what the callbacks watch, per profile: the book's listings (full) or their comments (quick).
# full: the listing's EarlyStopping watches the *training* accuracy (its comment says validation),
# which keeps rising while this network overfits, so it seldom stops; ReduceLROnPlateau with
# patience 10 can act after the 11th epoch at the earliest, never within 10. quick and smoke watch
# val_accuracy with patience 2, and patience 1 for the learning rate: every callback acts.
COMMENTS = {"monitor": "val_accuracy", "patience": 2, "lr_patience": 1, "batch_size": 512}
LISTING = {"monitor": "accuracy", "patience": 1, "lr_patience": 10, "batch_size": 32}
PROFILES = {
    "smoke": {"epochs": 4, "train_samples": 320, "val_samples": 100, **COMMENTS},
    "quick": {"epochs": 20, "train_samples": None, "val_samples": 10000, **COMMENTS},
    "full": {"epochs": 10, "train_samples": None, "val_samples": 10000, **LISTING},
}
# Section 7.2.1's listings print no output and the notebooks have no 7.2: nothing to compare.
BOOK = {
    "stopped_epoch": None,
    "best_epoch": None,
    "best_checkpoint_val_loss": None,
    "checkpoint_reloads_best": None,
}
NUM_WORDS = 10000


def vectorize_sequences(sequences, dimension=NUM_WORDS):
    """Multi-hot encode lists of word indices into a (len(sequences), dimension) matrix."""
    results_ = np.zeros((len(sequences), dimension), dtype="float32")
    for i, sequence in enumerate(sequences):
        results_[i, sequence] = 1.0  # sets the indices of results_[i] to 1s
    return results_


def build_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(NUM_WORDS,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(16, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def make_callbacks(checkpoint_path, monitor="accuracy", patience=1, lr_patience=10):
    """The callbacks of section 7.2.1; the defaults are the book's listings."""
    # the book's two listings in one list, for one `fit`; monitor "accuracy" is Keras 2's 'acc'
    return [
        # Interrupts training when the accuracy (`monitor`) has stopped improving
        keras.callbacks.EarlyStopping(monitor=monitor, patience=patience),
        # Saves the model after every epoch, but only when the validation loss is the lowest yet
        keras.callbacks.ModelCheckpoint(
            filepath=str(checkpoint_path), monitor="val_loss", save_best_only=True
        ),
        # Divides the learning rate by 10 when the validation loss has stalled
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=lr_patience),
    ]


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument(
        "--monitor",
        choices=("accuracy", "val_accuracy"),
        help="what EarlyStopping watches (the book's listing: accuracy)",
    )
    parser.add_argument("--patience", type=flags.positive_int, help="EarlyStopping patience")
    parser.add_argument("--lr-patience", type=flags.positive_int, help="ReduceLROnPlateau patience")
    parser.add_argument("--batch-size", type=flags.positive_int)
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "EarlyStopping + ModelCheckpoint + ReduceLROnPlateau", BOOK)

    # Data: IMDB, the first val_samples reviews held out for validation (as in section 3.4)
    (train_data, train_labels), _ = imdb.load_data(args.folders, num_words=NUM_WORDS)
    n = args.train_samples or len(train_data)
    x = vectorize_sequences(train_data[:n])
    y = np.asarray(train_labels[:n]).astype("float32")
    x_val, x_train = x[: args.val_samples], x[args.val_samples :]
    y_val, y_train = y[: args.val_samples], y[args.val_samples :]

    # Model + callbacks; the checkpoint goes under results/<chapter>/models/ (not committed)
    model = build_model()
    # the book's 'my_model.h5' -> a native .keras file (Keras 3 writes H5 only via the legacy path)
    checkpoint = run.dir / "models" / f"{run.name}_best.keras"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.unlink(missing_ok=True)
    callbacks_list = make_callbacks(checkpoint, args.monitor, args.patience, args.lr_patience)
    early_stopping = callbacks_list[0]

    # Train: at most `epochs`; the callbacks decide when to stop
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=callbacks_list,
        validation_data=(x_val, y_val),
        verbose=2,
    )
    h = history.history
    epochs_run = len(h["loss"])
    stopped = early_stopping.stopped_epoch + 1 if early_stopping.stopped_epoch else None

    # Evaluate the best checkpoint: reload it from disk
    best = models.load_model(checkpoint, "run callbacks.py again: ModelCheckpoint writes it")
    ckpt_loss, ckpt_acc = best.evaluate(x_val, y_val, batch_size=512, verbose=0)
    best_epoch = int(np.argmin(h["val_loss"])) + 1
    reloads_best = bool(np.isclose(ckpt_loss, min(h["val_loss"]), rtol=1e-4, atol=1e-6))
    print(
        f"ran {epochs_run} of {args.epochs} epochs (early stop: {stopped}); best val_loss at "
        f"epoch {best_epoch}; reloaded checkpoint: val_loss {ckpt_loss:.4f}, val_acc {ckpt_acc:.4f}"
    )
    return run.finish(
        {
            "stopped_epoch": stopped if stopped else f"not stopped ({epochs_run} epochs)",
            "epochs_run": epochs_run,
            "best_epoch": best_epoch,
            "best_val_accuracy_epoch": int(np.argmax(h["val_accuracy"])) + 1,
            "best_checkpoint_val_loss": ckpt_loss,
            "best_checkpoint_val_accuracy": ckpt_acc,
            "checkpoint_reloads_best": "yes" if reloads_best else "no",
            "learning_rate_per_epoch": h.get("learning_rate"),
            "checkpoint": checkpoint.name,
            "history": h,
        }
    )


if __name__ == "__main__":
    flags.run(main)
