"""Writing your own callback: save a layer's activations on a fixed validation batch every epoch.

Deep Learning with Python, section 7.2.1 ("Writing your own callback", listing 7.15). A subclass
of `keras.callbacks.Callback` builds, in `set_model`, a model that returns one layer's output, and
at every epoch end runs it on a fixed batch of validation images and saves the activations with
NumPy (`activations_at_epoch_<n>.npz`, n from 1, under results/chapter07/activations/). The network
is the MNIST one of section 2.1 (Dense 512 relu -> Dense 10 softmax); the logged layer is the
hidden one (the book logged every layer). A figure shows one image's activations epoch by epoch.

Book: no numbers printed; one activation file per epoch.

Run:  python chapter07/custom_callback.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure

from dlwp import flags, results
from dlwp.data import mnist
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 2, "train_samples": 256, "val_samples": 64},
    "quick": {"epochs": 5, "train_samples": None, "val_samples": 10000},
    "full": {"epochs": 5, "train_samples": None, "val_samples": 10000},  # the book gives none
}
BOOK = {"activation_files": "one per epoch", "activation_shape": None, "activations_change": "yes"}
LOGGED_LAYER = "hidden"  # the book logged every layer's output; the task asks for one
BATCH = 32  # validation images whose activations are saved


class ActivationLogger(keras.callbacks.Callback):
    """Saves `layer_name`'s output on `validation_batch` to `folder` at every epoch end."""

    # Keras 3 callbacks have no `self.validation_data` (the book's read it): the batch is passed in
    def __init__(self, layer_name, validation_batch, folder):
        super().__init__()
        self.layer_name = layer_name
        self.validation_batch = validation_batch
        self.folder = folder
        self.paths = []

    def set_model(self, model):
        # Called by the parent model before training, to tell the callback which model calls it
        super().set_model(model)
        layer = model.get_layer(self.layer_name)
        self.activations_model = keras.Model(model.inputs, layer.output)

    def on_epoch_end(self, epoch, logs=None):
        activations = self.activations_model.predict(self.validation_batch, verbose=0)
        # numbered from 1 like Keras' "Epoch n/N" (the book used the 0-based epoch index)
        path = self.folder / f"activations_at_epoch_{epoch + 1}.npz"
        np.savez(path, activations=activations, layer=self.layer_name, epoch=epoch + 1)
        self.paths.append(path)


def build_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(28 * 28,)),
            layers.Dense(512, activation="relu", name=LOGGED_LAYER),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def plot_activations(paths, image=0, units=128):
    """The first `units` activations of one validation image, one row per epoch."""
    rows = [np.load(p)["activations"][image, :units] for p in paths]
    fig = Figure(figsize=(10, 0.5 + 0.45 * len(rows)))
    ax = fig.subplots()
    ax.imshow(np.stack(rows), aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set(
        title=f"Layer '{LOGGED_LAYER}': first {units} activations of validation image {image}",
        xlabel="unit",
        ylabel="epoch",
        yticks=range(len(rows)),
        yticklabels=[str(i + 1) for i in range(len(rows))],
    )
    return fig


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--batch-size", type=flags.positive_int, default=128)
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Custom callback: activations saved every epoch", BOOK)

    # Data: MNIST; the first val_samples training images are held out for validation
    (images, labels), _ = mnist.load_data(args.folders)
    n = args.train_samples or len(images)
    x = images[:n].reshape((n, 28 * 28)).astype("float32") / 255
    y = keras.utils.to_categorical(labels[:n], 10)
    x_val, x_train = x[: args.val_samples], x[args.val_samples :]
    y_val, y_train = y[: args.val_samples], y[args.val_samples :]

    # Model + the callback, with a fixed validation batch
    folder = run.dir / "activations" / run.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("activations_at_epoch_*.npz"):
        old.unlink()
    model = build_model()
    logger = ActivationLogger(LOGGED_LAYER, x_val[:BATCH], folder)

    # Train
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_data=(x_val, y_val),
        callbacks=[logger],
        verbose=2,
    )

    # Evaluate: one file per epoch, the layer's shape, and how much the activations moved
    saved = [np.load(p)["activations"] for p in logger.paths]
    changes = [float(np.mean(np.abs(b - a))) for a, b in zip(saved[:-1], saved[1:])]
    shape = saved[0].shape
    print(f"{len(saved)} files of shape {shape} in {folder}; mean |change| per epoch: {changes}")
    run.save_figure(plot_activations(logger.paths), "_activations.png")
    return run.finish(
        {
            "activation_files": len(logger.paths),
            "epochs_run": len(history.history["loss"]),
            "activation_shape": str(shape),
            "activations_change": "yes" if changes and min(changes) > 0 else "no",
            "mean_abs_change_between_epochs": changes,
            "files": [p.name for p in logger.paths],
            "val_accuracy": history.history["val_accuracy"][-1],
        }
    )


if __name__ == "__main__":
    flags.run(main)
