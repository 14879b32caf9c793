"""Fine-tuning: unfreeze VGG16's last convolutional block and train it with a tiny learning rate.

Deep Learning with Python, section 5.3.2. The script first trains section 5.3.1's model (frozen
VGG16 base + Dense classifier, with augmentation; `--head-epochs`, RMSprop(2e-5)), then makes the
layers from `block5_conv1` on trainable again and trains on with RMSprop(1e-5) (`--epochs`), so
the pretrained filters of the last block only move a little. Full: 30 + 100 epochs of 100 batches
of 20 (cells 24 and 33-35); quick: 5 + 8. The curves are smoothed (moving average, factor 0.8, as
the book does); the test accuracy is the book's final number. `--base mobilenet` (MobileNet v1,
alpha 0.25, 160x160) stands in where VGG16's weights are missing (labelled `@mobilenet`).

Book: test accuracy 0.968 (notebook 5.3, cell 42 prints 0.967999992371; the text says 97%); while
fine-tuning, validation accuracy best 0.983 at epoch 30, 0.975 at epoch 100 (cell 35); 0.951
before it, at the last of the 30 epochs on the frozen base (cell 24).

Run:  python chapter05/vgg16_fine_tuning.py [--profile smoke|quick|full]
          [--base vgg16|mobilenet] [--weights imagenet|none|PATH]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers
from keras.applications import VGG16, MobileNet

from dlwp import flags, image_pipelines, results
from dlwp.data import dogs_vs_cats, imagenet
from dlwp.history import best_epoch, curves, smooth_curve
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "head_epochs": 1, "image_size": 32, "split": dogs_vs_cats.SMOKE_SPLIT},
    "quick": {"epochs": 8, "head_epochs": 5, "image_size": None, "split": dogs_vs_cats.SPLIT},
    "full": {"epochs": 100, "head_epochs": 30, "image_size": None, "split": dogs_vs_cats.SPLIT},
}
BOOK = {  # notebook 5.3
    "test_accuracy": 0.968,  # cell 42: test acc: 0.967999992371
    "best_val_accuracy": 0.983,  # cell 35: val_acc 0.9830 at epoch 30 of the 100 fine-tuning
    "best_val_epoch": 30,
    "final_val_accuracy": 0.975,  # cell 35: epoch 100's line
    "val_accuracy_before_fine_tuning": 0.951,  # cell 24: epoch 30's line, on the frozen base
}
STANDS_IN_FOR = "VGG16, the book's base (MobileNet stands in where its ImageNet weights are absent)"
# --base: the book's VGG16 or a small stand-in, as (Keras application, its options, what a wrong
# weights file is named as)
APPLICATIONS = {
    "vgg16": (VGG16, {}, "VGG16 conv base"),
    "mobilenet": (MobileNet, {"alpha": 0.25}, "MobileNet (alpha 0.25) conv base"),
}
BASES = tuple(APPLICATIONS)
IMAGE_SIZE = {"vgg16": 150, "mobilenet": 160}  # the book's; MobileNet: a size it was trained at
BATCH_SIZE = 20  # cells 24 and 42
# the last block; MobileNet's: conv_dw_13 ... conv_pw_13_relu, its BatchNormalization kept frozen
# (inference mode), so that small batches do not disturb their statistics
FINE_TUNE_FROM = {"vgg16": "block5_conv1", "mobilenet": "conv_dw_13"}


def build_model(conv_base, scaling, image_size):
    """Scaling -> conv base -> Dense classifier (section 5.3.1's model; not compiled)."""
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


def data_augmentation():
    """The book's ImageDataGenerator settings as Keras 3 preprocessing layers (cell 24; each is
    explained in chapter05/dogs_vs_cats_augmentation.py)."""
    return keras.Sequential(
        [
            layers.RandomRotation(40 / 360, fill_mode="nearest", interpolation="nearest"),
            layers.RandomTranslation(0.2, 0.2, fill_mode="nearest", interpolation="nearest"),
            layers.RandomShear(y_factor=0.2, fill_mode="nearest", interpolation="nearest"),
            layers.RandomZoom(
                height_factor=0.2, width_factor=0.2, fill_mode="nearest", interpolation="nearest"
            ),
            layers.RandomFlip("horizontal"),
        ],
        name="data_augmentation",
    )


def set_trainable_from(conv_base, first_layer, freeze_batchnorm=True):
    """Unfreeze `first_layer` and every layer after it, freeze the rest; returns the names of
    the layers that hold trainable weights. BatchNormalization stays frozen if asked. The book's
    conv_base.trainable = True, then a loop setting set_trainable from "block5_conv1" on."""
    names = [layer.name for layer in conv_base.layers]
    if first_layer not in names:
        raise ValueError(f"{conv_base.name} has no layer {first_layer!r}")
    conv_base.trainable = True
    trainable = False
    for layer in conv_base.layers:
        if layer.name == first_layer:
            trainable = True
        batchnorm = isinstance(layer, layers.BatchNormalization)
        layer.trainable = trainable and not (batchnorm and freeze_batchnorm)
    return [layer.name for layer in conv_base.layers if layer.trainable and layer.weights]


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    flags.add_weights_flags(parser, BASES, "vgg16")
    parser.add_argument("--image-size", type=flags.positive_int, help="default: the base's")
    parser.add_argument("--head-epochs", type=flags.positive_int, help="epochs on the frozen base")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    title = f"Dogs vs. Cats: fine-tuning the last block of {args.base}"
    variant = None if args.base == "vgg16" else args.base  # a substitute base: its own results
    book = BOOK if variant is None else dict.fromkeys(BOOK)  # no book number beside a stand-in
    run = results.Run(__file__, args, title, book, variant=variant)

    # Model: frozen base + classifier (section 5.3.1); the book's
    # conv_base = VGG16(weights="imagenet", include_top=False, input_shape=(150, 150, 3))
    image_size = args.image_size or IMAGE_SIZE[args.base]
    shape = (image_size, image_size, 3)
    weights = imagenet.find_weights(
        args.folders, args.base, include_top=False, weights=args.weights
    )
    application, options, what = APPLICATIONS[args.base]
    conv_base = imagenet.build(
        application, args.folders, weights, what, include_top=False, input_shape=shape, **options
    )
    model = build_model(conv_base, imagenet.rescaling(args.base), image_size)
    before = len(model.trainable_weights)
    conv_base.trainable = False
    after = len(model.trainable_weights)
    print(f"trainable weights before freezing the conv base: {before}, after: {after}")
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=2e-5, epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )

    # Data: the book's flow_from_directory(dir, target_size, batch_size=20, class_mode="binary"),
    # resized bilinearly (Keras 3's default; see the README's table of differences)
    base_dir, _ = dogs_vs_cats.prepare_split(args.folders, args.split)
    datasets = {}
    for subset in ("train", "validation", "test"):
        ds = keras.utils.image_dataset_from_directory(
            base_dir / subset,
            label_mode="binary",  # cats 0, dogs 1 (the folders, in alphabetical order)
            image_size=(image_size, image_size),
            batch_size=None,  # batched by in_memory, after decoding once
            shuffle=False,
            verbose=False,
        )
        seed = args.seed if subset == "train" else None  # the training images are shuffled
        datasets[subset] = image_pipelines.in_memory(ds, BATCH_SIZE, shuffle_seed=seed)
    # augmentation on the training batches only, as the book's train_datagen
    train_ds = image_pipelines.augmented(datasets["train"], data_augmentation())
    validation_ds = datasets["validation"]

    # Train the classifier first
    head = model.fit(train_ds, epochs=args.head_epochs, validation_data=validation_ds, verbose=2)
    head_val_acc = head.history["val_accuracy"][-1]

    # Fine-tune: unfreeze the last block, recompile with a very low learning rate. Keras 2's
    # fit_generator(steps_per_epoch=100, validation_steps=50): one pass over the 2,000 training
    # and the 1,000 validation images, in batches of 20, is the same
    unfrozen = set_trainable_from(conv_base, FINE_TUNE_FROM[args.base])
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-5, epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    print(f"fine-tuning {len(model.trainable_weights)} weight tensors: {', '.join(unfrozen)}")
    history = model.fit(train_ds, epochs=args.epochs, validation_data=validation_ds, verbose=2)
    model_path = run.save_model(model)
    # the book's smooth_curve(points, factor=0.8): dlwp.history.smooth_curve
    fig = curves(history, title=f"fine-tuned {args.base} (smoothed)", smooth=0.8)
    run.save_figure(fig, "_curves.png")

    # Evaluate
    # the book's evaluate_generator(test_generator, steps=50): 50 x 20, each test image once
    test_loss, test_acc = model.evaluate(datasets["test"], verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    stand_in = {"stands_in_for": STANDS_IN_FOR} if variant else {}
    return run.finish(
        {
            **stand_in,
            "test_accuracy": test_acc,
            "test_loss": test_loss,
            **best_epoch(history, epoch_key="best_val_epoch"),
            "final_train_accuracy": history.history["accuracy"][-1],
            "val_accuracy_before_fine_tuning": head_val_acc,
            "unfrozen_layers": unfrozen,
            "trainable_weights_fine_tuning": len(model.trainable_weights),
            "base": args.base,
            "image_size": image_size,
            "model_file": run.relative(model_path),
            "smoothed_val_accuracy": np.round(smooth_curve(history.history["val_accuracy"]), 4),
        }
    )


if __name__ == "__main__":
    flags.run(main)
