"""Dogs vs. Cats: data augmentation and dropout against overfitting.

Deep Learning with Python, section 5.2.5. The training images are randomly rotated, shifted,
sheared, zoomed and flipped (preprocessing layers in the input pipeline, on the training batches
only), so the model never sees the same picture twice; the convnet of section 5.2.3 gets a
Dropout(0.5) before its classifier. RMSprop(1e-4), batches of 32, 100 steps per epoch for 100
epochs. A PNG previews augmented copies of one training image. Quick: 96x96 inputs, one pass per
epoch (63 steps), 40 epochs at RMSprop(2e-4), to get about as far as the book's first 40 epochs.

Book: validation accuracy 0.8439 after epoch 100, best 0.846 at epoch 99 (notebook 5.2, cell 39;
the text says 82%).

Run:  python chapter05/dogs_vs_cats_augmentation.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure

from dlwp import flags, image_pipelines, results
from dlwp.data import dogs_vs_cats
from dlwp.history import best_epoch, curves
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {
        "epochs": 1,
        "image_size": 48,
        "split": dogs_vs_cats.SMOKE_SPLIT,
        "steps_per_epoch": None,
        "learning_rate": 1e-4,
    },
    # quick: 96x96 is 2.4x less compute per image; one pass (63 steps) per epoch; 2e-4 so that
    # 40 epochs get about as far as the book's first 40
    "quick": {
        "epochs": 40,
        "image_size": 96,
        "split": dogs_vs_cats.SPLIT,
        "steps_per_epoch": None,
        "learning_rate": 2e-4,
    },
    "full": {
        "epochs": 100,
        "image_size": 150,
        "split": dogs_vs_cats.SPLIT,
        "steps_per_epoch": 100,
        "learning_rate": 1e-4,
    },
}
BOOK = {  # notebook 5.2, cell 39: 100 epochs of 100 steps
    "best_val_accuracy": 0.846,  # val_acc 0.8460 at epoch 99 (the text says 82%)
    "best_val_epoch": 99,
    "final_val_accuracy": 0.8439,  # epoch 100's line
}
BATCH_SIZE = 32  # cell 39: both generators


def data_augmentation():
    """The book's ImageDataGenerator settings as Keras 3 preprocessing layers, in its order
    (Keras 2 multiplies rotation x shift x shear x zoom into one transform). Keras 2.0.8 resampled
    that transform once, nearest neighbour (scipy's order=0); each layer here resamples with
    interpolation="nearest" too: bilinear four times over would blur the images far more (a
    sharpness measure drops 40%, against ~10%) and make validation swing from epoch to epoch.
    fill_mode="nearest" is Keras 2's default (section 5.3 sets it)."""
    return keras.Sequential(
        [
            # rotation_range=40: a fraction of a full turn, both draw in [-40, 40] degrees
            layers.RandomRotation(40 / 360, fill_mode="nearest", interpolation="nearest"),
            # width_shift_range=0.2, height_shift_range=0.2
            layers.RandomTranslation(0.2, 0.2, fill_mode="nearest", interpolation="nearest"),
            # shear_range=0.2 (radians): the same slope to within 1%; Keras 3 pivots on the
            # top-left corner, not the centre, so a sheared image also shifts by up to 10%
            layers.RandomShear(y_factor=0.2, fill_mode="nearest", interpolation="nearest"),
            # zoom_range=0.2: x and y zoomed independently, as Keras 2 did
            layers.RandomZoom(
                height_factor=0.2, width_factor=0.2, fill_mode="nearest", interpolation="nearest"
            ),
            layers.RandomFlip("horizontal"),  # horizontal_flip=True
        ],
        name="data_augmentation",
    )


def build_model(image_size, learning_rate=1e-4):
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
            layers.Dropout(0.5),
            layers.Dense(512, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(
            learning_rate=learning_rate, epsilon=KERAS2_RMSPROP_EPSILON
        ),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def preview_augmentation(augment, image, copies=4, seed=1):
    """A row of `copies` augmented versions of one uint8 image (H, W, 3), as a figure."""
    keras.utils.set_random_seed(seed)
    batch = np.repeat(np.asarray(image, dtype="float32")[None], copies, axis=0)
    augmented = keras.ops.convert_to_numpy(augment(batch, training=True))
    fig = Figure(figsize=(2.4 * (copies + 1), 2.6))
    axes = fig.subplots(1, copies + 1)
    axes[0].imshow(np.asarray(image).astype("uint8"))
    axes[0].set_title("original")
    for i, ax in enumerate(axes[1:]):
        ax.imshow(np.clip(augmented[i], 0, 255).astype("uint8"))
        ax.set_title(f"augmented {i + 1}")
    for ax in axes:
        ax.axis("off")
    return fig, augmented


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--image-size", type=flags.positive_int, help="square input side, pixels")
    parser.add_argument("--steps-per-epoch", type=flags.positive_int, help="default: one pass")
    parser.add_argument(
        "--learning-rate", type=flags.positive_float, help="RMSprop's (the book: 1e-4)"
    )
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Dogs vs. Cats: data augmentation + dropout", BOOK)

    # Data: the book's flow_from_directory(dir, target_size, batch_size=32, class_mode="binary"),
    # resized bilinearly (Keras 3's default; see the README's table of differences)
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
    train_ds = image_pipelines.in_memory(train_ds, BATCH_SIZE, shuffle_seed=args.seed)
    validation_ds = image_pipelines.in_memory(validation_ds, BATCH_SIZE)
    speed = image_pipelines.throughput(train_ds)
    print(f"input pipeline: {speed}")

    # Augmentation: on the training batches only, as the book's train_datagen; the saved model
    # holds only the convnet. The preview: the book's datagen.flow(x, batch_size=1), here the
    # same layers called with training=True
    augment = data_augmentation()
    augmented_train_ds = image_pipelines.augmented(
        train_ds, augment, repeat=args.steps_per_epoch is not None
    )
    first_image = next(iter(train_ds.unbatch().take(1)))[0]
    fig, _ = preview_augmentation(augment, first_image)
    run.save_figure(fig, "_preview.png")

    # Model
    model = build_model(args.image_size, args.learning_rate)
    model.summary()

    # Train: Keras 2's fit_generator(steps_per_epoch=100, validation_steps=50). The training
    # batches repeat, 100 of 32 per epoch (1.6 passes) as the book's generator; each validation
    # image counts once per epoch (the book's 50 steps of 32 drew 1,600 from 1,000, wrapping)
    history = model.fit(
        augmented_train_ds,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        validation_data=validation_ds,
        verbose=2,
    )
    model_path = run.save_model(model)  # the book's cats_and_dogs_small_2.h5

    # Evaluate
    run.save_figure(curves(history, title="Augmentation + dropout"), "_curves.png")
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
