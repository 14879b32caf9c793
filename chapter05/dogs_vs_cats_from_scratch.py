"""Dogs vs. Cats: a small convnet trained from scratch on 2,000 images.

Deep Learning with Python, section 5.2.3-5.2.4. Four Conv2D + MaxPooling2D blocks (32, 64, 128,
128 filters) -> Flatten -> Dense(512, relu) -> Dense(1, sigmoid), RMSprop(1e-4), binary
crossentropy, trained on the 1,000 + 1,000 training images of the small split for 30 epochs
(batches of 20) and validated on 500 + 500. The model overfits: training accuracy goes to ~100%
while validation accuracy stalls around 70-72% after a few epochs.

Keras 2 -> Keras 3, line by line:
  ImageDataGenerator(rescale=1./255)   -> layers.Rescaling(1.0 / 255) as the model's first layer
  .flow_from_directory(dir, target_size=(150, 150), batch_size=20, class_mode="binary")
                                       -> keras.utils.image_dataset_from_directory(dir,
                                          image_size=(150, 150), label_mode="binary") + batch(20)
  fit_generator(gen, steps_per_epoch=100, epochs=30, validation_steps=50)
                                       -> fit(train_ds, epochs=30, validation_data=val_ds)
                                          (one pass over the 2,000 images is the book's 100 steps)
  optimizers.RMSprop(lr=1e-4)          -> keras.optimizers.RMSprop(learning_rate=1e-4)
  model.save("cats_and_dogs_small_1.h5") -> model.save(<results>/chapter05/models/<name>.keras)

Input pipeline (`image_datasets`): the JPEGs are decoded and resized once, kept in memory as
uint8 (`cache()`), shuffled each epoch, batched and prefetched, so decoding is not paid per epoch.
The run reports the pipeline's throughput (images/s) for the first, decoding pass and for a cached
pass.

Quick profile: 96x96 inputs instead of 150x150 (about 2.4x less compute per image; the feature
map before Flatten is 4x4x128 instead of 7x7x128) and 15 epochs; full is the book's 150x150 and 30
epochs.

Book: validation accuracy ~0.72 (peaks at 0.70-0.72 after 5-10 epochs), training accuracy ~1.0.

Run:  python chapter05/dogs_vs_cats_from_scratch.py [--profile smoke|quick|full]
"""

import time

import keras
import matplotlib
import numpy as np
import tensorflow as tf
from keras import layers

from chapter05.dogs_vs_cats_prepare import SMOKE_SPLIT, SPLIT, prepare_split
from dlwp import cli, results

matplotlib.use("Agg")  # headless: write PNGs, never open a window
import matplotlib.pyplot as plt  # noqa: E402

PROFILES = {
    "smoke": {"epochs": 1, "image_size": 48, "split": SMOKE_SPLIT},
    "quick": {"epochs": 15, "image_size": 96, "split": SPLIT},
    "full": {"epochs": 30, "image_size": 150, "split": SPLIT},
}
BOOK = {"best_val_accuracy": "~0.72", "final_train_accuracy": "~1.0"}
BATCH_SIZE = 20


def image_datasets(base_dir, image_size, batch_size=BATCH_SIZE, seed=1, subsets=None):
    """{subset: tf.data.Dataset of (uint8 images (n, s, s, 3), float labels (n, 1))}.

    Labels follow the folder names in alphabetical order: cats 0, dogs 1 (the book's
    class_mode="binary"). Decoded once, cached in memory as uint8, reshuffled every epoch
    (training only), batched, prefetched.
    """
    out = {}
    for subset in subsets or ("train", "validation", "test"):
        ds = keras.utils.image_dataset_from_directory(
            base_dir / subset,
            labels="inferred",
            label_mode="binary",
            image_size=(image_size, image_size),
            batch_size=None,
            shuffle=False,
            verbose=False,
        )
        ds = ds.map(
            lambda x, y: (tf.cast(tf.clip_by_value(tf.round(x), 0, 255), tf.uint8), y),
            num_parallel_calls=tf.data.AUTOTUNE,
        ).cache()
        if subset == "train":
            ds = ds.shuffle(4096, seed=seed, reshuffle_each_iteration=True)
        out[subset] = ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    return out


def pipeline_throughput(dataset) -> dict:
    """Images per second of two passes over `dataset`: the first decodes, the second is cached."""
    speeds = []
    for _ in range(2):
        start, n = time.perf_counter(), 0
        for x, _ in dataset:
            n += int(x.shape[0])
        speeds.append(n / max(time.perf_counter() - start, 1e-9))
    return {"first_pass_images_per_s": round(speeds[0]), "cached_images_per_s": round(speeds[1])}


def build_model(image_size):
    model = keras.Sequential(
        [
            keras.Input(shape=(image_size, image_size, 3)),
            layers.Rescaling(1.0 / 255),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(128, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(128, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-4),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def plot_history(history, title=""):
    """Training and validation accuracy, and loss, side by side (the book's two plots)."""
    h = history.history
    epochs = range(1, len(h["loss"]) + 1)
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    ax_acc.plot(epochs, h["accuracy"], "bo", label="Training acc")
    ax_acc.plot(epochs, h["val_accuracy"], "b", label="Validation acc")
    ax_acc.set(title=f"{title}Training and validation accuracy", xlabel="Epochs")
    ax_acc.legend()
    ax_loss.plot(epochs, h["loss"], "bo", label="Training loss")
    ax_loss.plot(epochs, h["val_loss"], "b", label="Validation loss")
    ax_loss.set(title=f"{title}Training and validation loss", xlabel="Epochs")
    ax_loss.legend()
    return fig


def history_metrics(history) -> dict:
    h = history.history
    return {
        "best_val_accuracy": max(h["val_accuracy"]),
        "best_val_epoch": int(np.argmax(h["val_accuracy"])) + 1,
        "final_val_accuracy": h["val_accuracy"][-1],
        "final_train_accuracy": h["accuracy"][-1],
        "history": h,
    }


def save_model(run, model):
    path = run.dir / "models" / f"{run.name}.keras"
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    print(f"saved {path}")
    return path


def parse_args(argv=None):
    parser = cli.parser(__doc__, PROFILES)
    parser.add_argument("--image-size", type=cli.positive_int, help="square input side, pixels")
    return cli.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    run = results.Run(__file__, args, "Dogs vs. Cats: small convnet from scratch", BOOK)

    # Data
    base_dir, _ = prepare_split(args.data_dir, args.split)
    data = image_datasets(
        base_dir, args.image_size, seed=args.seed, subsets=("train", "validation")
    )
    speed = pipeline_throughput(data["train"])
    print(f"input pipeline: {speed}")

    # Model
    model = build_model(args.image_size)
    model.summary()

    # Train
    history = model.fit(
        data["train"], epochs=args.epochs, validation_data=data["validation"], verbose=2
    )
    model_path = save_model(run, model)

    # Evaluate
    run.save_figure(plot_history(history), "_curves.png")
    return run.finish(
        {
            **history_metrics(history),
            "image_size": args.image_size,
            "pipeline": speed,
            "model_file": str(model_path),
        }
    )


if __name__ == "__main__":
    main()
