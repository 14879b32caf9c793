"""Feature extraction with data augmentation: a frozen VGG16 base inside the model.

Deep Learning with Python, section 5.3.1 (feature extraction with data augmentation). The VGG16
conv base becomes the first layer of a Sequential model, followed by Flatten -> Dense(256, relu)
-> Dense(1, sigmoid). The base is frozen (`conv_base.trainable = False`: the book prints 30
trainable weight tensors before freezing and 4 after), so only the classifier learns while the
augmented images run through the whole network: RMSprop(2e-5), 30 epochs of 100 batches of 20.
Slow (the base runs on every augmented image, every epoch) but much less overfitting.

Keras 2 -> Keras 3, line by line:
  model.add(conv_base); ...          -> keras.Sequential([Input, scaling, conv_base, Flatten,
                                        Dense 256, Dense 1])
  ImageDataGenerator(rescale=1./255, rotation_range=40, ...) -> the augmentation layers of
                                        chapter05/dogs_vs_cats_augmentation.py, mapped over the
                                        training batches (`augment_dataset`), + Rescaling
  conv_base.trainable = False        -> the same (in Keras 3 it also puts BatchNormalization
                                        layers, which MobileNet has, in inference mode)
  fit_generator(steps_per_epoch=100, epochs=30, validation_steps=50)
                                     -> fit(train_ds.repeat(), steps_per_epoch=100, epochs=30)

`--base mobilenet` (MobileNet v1 alpha 0.25, 160x160) stands in where VGG16's ImageNet weights
are missing; results are labelled with it. `--weights none` is for smoke tests only.

Quick profile: one pass over the 2,000 training images per epoch (100 steps of 20, as the book)
and 10 epochs instead of 30; the trainable-weight counts and the model are the book's.

Book (VGG16): validation accuracy ~0.96; trainable weights 30 before freezing, 4 after.

Run:  python chapter05/vgg16_feature_extraction_augmented.py [--base vgg16|mobilenet]
          [--weights imagenet|none|PATH]
"""

import keras
import matplotlib
from keras import layers

from chapter05.dogs_vs_cats_augmentation import augment_dataset, data_augmentation
from chapter05.dogs_vs_cats_from_scratch import (
    history_metrics,
    image_datasets,
    plot_history,
    save_model,
)
from chapter05.dogs_vs_cats_prepare import SMOKE_SPLIT, SPLIT, prepare_split
from chapter05.vgg16_feature_extraction import BASES, input_scaling, load_conv_base, run_variant
from dlwp import cli, results

matplotlib.use("Agg")  # headless: write PNGs, never open a window

PROFILES = {
    "smoke": {"epochs": 1, "image_size": 32, "split": SMOKE_SPLIT},
    "quick": {"epochs": 10, "image_size": None, "split": SPLIT},
    "full": {"epochs": 30, "image_size": None, "split": SPLIT},
}
BOOK = {
    "best_val_accuracy": "~0.96",
    "test_accuracy": None,
    "trainable_weights_before_freezing": 30,
    "trainable_weights_after_freezing": 4,
}
BATCH_SIZE = 20


def build_model(conv_base, scaling, image_size):
    """Scaling -> conv base -> Dense classifier (not compiled, base not frozen)."""
    return keras.Sequential(
        [
            keras.Input(shape=(image_size, image_size, 3)),
            scaling,
            conv_base,
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def freeze(model, conv_base):
    """Freeze the base; returns the number of trainable weight tensors before and after."""
    before = len(model.trainable_weights)
    conv_base.trainable = False
    after = len(model.trainable_weights)
    print(f"trainable weights before freezing the conv base: {before}, after: {after}")
    return before, after


def compile_model(model, learning_rate):
    """Compile after every change of `trainable`, as the book says: it takes effect then."""
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )


def parse_args(argv=None):
    parser = cli.parser(__doc__, PROFILES)
    cli.add_weights_flags(parser, BASES, "vgg16")
    parser.add_argument("--image-size", type=cli.positive_int, help="default: the base's")
    return cli.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    title = f"Dogs vs. Cats: frozen {args.base} base + augmentation, trained end to end"
    run = results.Run(__file__, args, title, BOOK, variant=run_variant(args))

    # Model
    conv_base, image_size = load_conv_base(args)
    model = build_model(conv_base, input_scaling(args.base), image_size)
    before, after = freeze(model, conv_base)
    compile_model(model, learning_rate=2e-5)
    model.summary()

    # Data
    base_dir, _ = prepare_split(args.data_dir, args.split)
    data = image_datasets(base_dir, image_size, BATCH_SIZE, seed=args.seed)
    train = augment_dataset(data["train"], data_augmentation())

    # Train
    history = model.fit(train, epochs=args.epochs, validation_data=data["validation"], verbose=2)
    model_path = save_model(run, model)
    run.save_figure(plot_history(history, f"frozen {args.base}: "), "_curves.png")

    # Evaluate
    test_loss, test_acc = model.evaluate(data["test"], verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    return run.finish(
        {
            **history_metrics(history),
            "test_accuracy": test_acc,
            "test_loss": test_loss,
            "trainable_weights_before_freezing": before,
            "trainable_weights_after_freezing": after,
            "base": args.base,
            "image_size": image_size,
            "model_file": str(model_path),
        }
    )


if __name__ == "__main__":
    main()
