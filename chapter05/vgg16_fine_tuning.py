"""Fine-tuning: unfreeze VGG16's last convolutional block and train it with a tiny learning rate.

Deep Learning with Python, section 5.3.2. Starting from the model of section 5.3.1 (frozen VGG16
base + Dense classifier, trained with augmentation), the layers from `block5_conv1` on are made
trainable again, everything before stays frozen, and the model is trained on with RMSprop(1e-5)
for 100 epochs, so the pretrained filters of the last block only move a little. The curves are
plotted smoothed (exponential moving average, factor 0.8, as the book does); the test accuracy
is the book's final number.

The script does both steps: first the classifier on the frozen base (the previous section's
model and training, chapter05/vgg16_feature_extraction_augmented.py, `--head-epochs`), then the
fine-tuning (`--epochs`).

Keras 2 -> Keras 3, line by line:
  conv_base.trainable = True; for layer in conv_base.layers: set_trainable after "block5_conv1"
                                     -> `set_trainable_from(conv_base, "block5_conv1")`
  optimizers.RMSprop(lr=1e-5)        -> RMSprop(learning_rate=1e-5,
                                                epsilon=KERAS2_RMSPROP_EPSILON) (dlwp.optimizers)
  fit_generator(steps_per_epoch=100, epochs=100, validation_steps=50) -> fit(train_ds, epochs=100)
                                     (one pass over the 2,000 training images is the book's 100
                                     steps of 20, one over the 1,000 validation images its 50)
  the augmentation (cell 24's ImageDataGenerator) -> the layers of
                                     chapter05/dogs_vs_cats_augmentation.py (its docstring maps
                                     each setting), applied to the training batches
                                     (dlwp.image_pipelines.augmented)
  flow_from_directory(dir, (150, 150), batch_size=20) -> image_dataset_from_directory, kept in
                                     memory; resized bilinearly (Keras 3's default; Keras 2
                                     resized nearest-neighbour: kept, see the README's table)
  smooth_curve(points, factor=0.8)   -> dlwp.history.smooth_curve (the book's), plotted by
                                     dlwp.history.curves(history, smooth=0.8)
  evaluate_generator(test_generator, steps=50) -> evaluate(test_ds)  (50 x 20: each of the 1,000
                                     test images once)

`--base mobilenet` (MobileNet v1 alpha 0.25, 160x160) stands in where VGG16's ImageNet weights are
missing: its last block (`conv_dw_13` ... `conv_pw_13_relu`) is unfrozen, with its
BatchNormalization layers kept frozen (in inference mode), so their statistics are not disturbed
by small batches. Its results are labelled with it (`@mobilenet`, with no book number beside them;
the metric `stands_in_for` says what it replaces). `--weights none` is for smoke tests only.

Quick profile: 5 head epochs and 8 fine-tuning epochs (one pass over the 2,000 training images
each) instead of 30 + 100. Full is the notebook's: 30 epochs with RMSprop(2e-5) on the frozen base
(cell 24), then 100 with RMSprop(1e-5) from block5_conv1 on (cells 33-35), batches of 20.

Book (notebook 5.3, VGG16): test accuracy 0.968 (cell 42 prints 0.967999992371; the text says
97%); while fine-tuning, validation accuracy best 0.983 at epoch 30, 0.975 at epoch 100 (cell 35);
0.951 before it, at the last of the 30 epochs on the frozen base (cell 24).

Run:  python chapter05/vgg16_fine_tuning.py [--base vgg16|mobilenet] [--weights imagenet|none|PATH]
"""

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
FINE_TUNE_FROM = {"vgg16": "block5_conv1", "mobilenet": "conv_dw_13"}  # the last block


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
    the layers that hold trainable weights. BatchNormalization stays frozen if asked."""
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

    # Data: the book's flow_from_directory(dir, target_size, batch_size=20, class_mode="binary")
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

    # Fine-tune: unfreeze the last block, recompile with a very low learning rate
    unfrozen = set_trainable_from(conv_base, FINE_TUNE_FROM[args.base])
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-5, epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    print(f"fine-tuning {len(model.trainable_weights)} weight tensors: {', '.join(unfrozen)}")
    history = model.fit(train_ds, epochs=args.epochs, validation_data=validation_ds, verbose=2)
    model_path = run.save_model(model)
    fig = curves(history, title=f"fine-tuned {args.base} (smoothed)", smooth=0.8)
    run.save_figure(fig, "_curves.png")

    # Evaluate
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
