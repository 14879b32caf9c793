"""Dogs vs. Cats: a small convnet trained from scratch on 2,000 images.

Deep Learning with Python, section 5.2.3-5.2.4. Four Conv2D + MaxPooling2D blocks (32, 64, 128,
128 filters) -> Flatten -> Dense(512, relu) -> Dense(1, sigmoid), RMSprop(1e-4), binary
crossentropy, trained on the 1,000 + 1,000 training images of the small split for 30 epochs
(batches of 20) and validated on 500 + 500. The model overfits: training accuracy goes to ~100%
while validation accuracy stalls around 70-72%. Quick: 96x96 inputs instead of 150x150, 15 epochs.

Book: validation accuracy best 0.731 at epoch 28, 0.724 at epoch 30, when training accuracy is
0.9895 (notebook 5.2, cell 26; the text: "stalls at 70-72%").

Run:  python chapter05/dogs_vs_cats_from_scratch.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
from keras import layers

from dlwp import flags, image_pipelines, results
from dlwp.data import dogs_vs_cats
from dlwp.history import best_epoch, curves
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "image_size": 48, "split": dogs_vs_cats.SMOKE_SPLIT},
    # quick: ~2.4x less compute per image; the map before Flatten is 4x4x128 instead of 7x7x128
    "quick": {"epochs": 15, "image_size": 96, "split": dogs_vs_cats.SPLIT},
    "full": {"epochs": 30, "image_size": 150, "split": dogs_vs_cats.SPLIT},
}
BOOK = {  # notebook 5.2, cell 26: 30 epochs of 100 steps
    "best_val_accuracy": 0.731,  # val_acc 0.7310 at epoch 28
    "best_val_epoch": 28,
    "final_val_accuracy": 0.724,  # epoch 30's line
    "final_train_accuracy": 0.9895,  # epoch 30's line: acc 0.9895
}
BATCH_SIZE = 20  # cell 22


def build_model(image_size):
    model = keras.Sequential(
        [
            keras.Input(shape=(image_size, image_size, 3)),
            layers.Rescaling(1.0 / 255),  # Keras 2: ImageDataGenerator(rescale=1./255)
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
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-4, epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--image-size", type=flags.positive_int, help="square input side, pixels")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Dogs vs. Cats: small convnet from scratch", BOOK)

    # Data: the book's flow_from_directory(dir, target_size, batch_size=20, class_mode="binary"),
    # resized bilinearly (Keras 3's default; see the README's table of differences). The split
    # (section 5.2.2, dogs_vs_cats_prepare.py) is made or checked first, in the cache folder
    base_dir, _ = dogs_vs_cats.prepare_split(args.folders, args.split)
    image_size = (args.image_size, args.image_size)
    train_ds = keras.utils.image_dataset_from_directory(
        base_dir / "train",
        label_mode="binary",  # cats 0, dogs 1 (the folders, in alphabetical order)
        image_size=image_size,
        batch_size=None,  # batched by in_memory, after decoding once
        shuffle=False,
        verbose=False,
    )
    validation_ds = keras.utils.image_dataset_from_directory(
        base_dir / "validation",
        label_mode="binary",
        image_size=image_size,
        batch_size=None,
        shuffle=False,
        verbose=False,
    )
    # decoded once and kept in memory as uint8; shuffled each epoch, batched, prefetched
    train_ds = image_pipelines.in_memory(train_ds, BATCH_SIZE, shuffle_seed=args.seed)
    validation_ds = image_pipelines.in_memory(validation_ds, BATCH_SIZE)
    speed = image_pipelines.throughput(train_ds)  # images/s over two passes
    print(f"input pipeline: {speed}")

    # Model
    model = build_model(args.image_size)
    model.summary()

    # Train
    # Keras 2: fit_generator(steps_per_epoch=100, validation_steps=50): one pass over the 2,000
    # and the 1,000 images, in batches of 20, is the same
    history = model.fit(train_ds, epochs=args.epochs, validation_data=validation_ds, verbose=2)
    model_path = run.save_model(model)  # the book's cats_and_dogs_small_1.h5

    # Evaluate
    run.save_figure(curves(history, title="From scratch"), "_curves.png")
    return run.finish(
        {
            **best_epoch(history, epoch_key="best_val_epoch"),
            "final_train_accuracy": history.history["accuracy"][-1],
            "image_size": args.image_size,
            "pipeline": speed,
            "model_file": run.relative(model_path),
        }
    )


if __name__ == "__main__":
    flags.run(main)
