"""Feature extraction with data augmentation: a frozen VGG16 base inside the model.

Deep Learning with Python, section 5.3.1 (feature extraction with data augmentation). The VGG16
conv base becomes the first layer of a Sequential model, followed by Flatten -> Dense(256, relu)
-> Dense(1, sigmoid). The base is frozen (`conv_base.trainable = False`), so only the classifier
learns while the augmented images (the layers of dogs_vs_cats_augmentation.py) run through the
whole network: RMSprop(2e-5), 30 epochs of 100 batches of 20; quick: 10 epochs. Slow (the base
runs on every augmented image, every epoch) but much less overfitting. `--base mobilenet`
(MobileNet v1, alpha 0.25, 160x160) stands in where VGG16's ImageNet weights are missing,
labelled `@mobilenet`, with no book number beside it.

Book: validation accuracy best 0.979 at epoch 15, 0.951 at epoch 30 (notebook 5.3, cell 24; the
text says "about 96%"); trainable weight tensors 30 before freezing (cell 20), 4 after (cell 22);
no test accuracy.

Run:  python chapter05/vgg16_feature_extraction_augmented.py [--profile smoke|quick|full]
          [--base vgg16|mobilenet] [--weights imagenet|none|PATH]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
from keras import layers
from keras.applications import VGG16, MobileNet

from dlwp import flags, image_pipelines, results
from dlwp.data import dogs_vs_cats, imagenet
from dlwp.history import best_epoch, curves
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "image_size": 32, "split": dogs_vs_cats.SMOKE_SPLIT},
    "quick": {"epochs": 10, "image_size": None, "split": dogs_vs_cats.SPLIT},  # 100 steps each
    "full": {"epochs": 30, "image_size": None, "split": dogs_vs_cats.SPLIT},
}
BOOK = {  # notebook 5.3
    "best_val_accuracy": 0.979,  # cell 24: val_acc 0.9790 at epoch 15 of 30
    "best_val_epoch": 15,
    "final_val_accuracy": 0.951,  # cell 24: epoch 30's line
    "test_accuracy": None,  # the notebook does not evaluate this model
    "trainable_weights_before_freezing": 30,  # cell 20
    "trainable_weights_after_freezing": 4,  # cell 22
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
BATCH_SIZE = 20  # cell 24: both generators


def build_model(conv_base, scaling, image_size):
    """Scaling -> conv base -> Dense classifier (not compiled, base not frozen): the book's
    model.add(conv_base), model.add(layers.Flatten()), ..."""
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


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    flags.add_weights_flags(parser, BASES, "vgg16")
    parser.add_argument("--image-size", type=flags.positive_int, help="default: the base's")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    title = f"Dogs vs. Cats: frozen {args.base} base + augmentation, trained end to end"
    variant = None if args.base == "vgg16" else args.base  # a substitute base: its own results
    book = BOOK if variant is None else dict.fromkeys(BOOK)  # no book number beside a stand-in
    run = results.Run(__file__, args, title, book, variant=variant)

    # Model: the pretrained base, frozen, with a classifier on top; the book's
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
    # the book's rescale=1./255 for VGG16; MobileNet gets its own [-1, 1]
    model = build_model(conv_base, imagenet.rescaling(args.base), image_size)
    before = len(model.trainable_weights)
    conv_base.trainable = False  # in Keras 3 also puts BatchNormalization in inference mode
    after = len(model.trainable_weights)
    print(f"trainable weights before freezing the conv base: {before}, after: {after}")
    model.compile(  # after every change of `trainable`: it takes effect then
        optimizer=keras.optimizers.RMSprop(learning_rate=2e-5, epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    model.summary()

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

    # Train: Keras 2's fit_generator(steps_per_epoch=100, validation_steps=50): one pass over the
    # 2,000 training and the 1,000 validation images, in batches of 20, is the same
    history = model.fit(
        train_ds, epochs=args.epochs, validation_data=datasets["validation"], verbose=2
    )
    model_path = run.save_model(model)
    run.save_figure(curves(history, title=f"frozen {args.base}"), "_curves.png")

    # Evaluate
    test_loss, test_acc = model.evaluate(datasets["test"], verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    stand_in = {"stands_in_for": STANDS_IN_FOR} if variant else {}
    return run.finish(
        {
            **stand_in,
            **best_epoch(history, epoch_key="best_val_epoch"),
            "final_train_accuracy": history.history["accuracy"][-1],
            "test_accuracy": test_acc,
            "test_loss": test_loss,
            "trainable_weights_before_freezing": before,
            "trainable_weights_after_freezing": after,
            "base": args.base,
            "image_size": image_size,
            "model_file": run.relative(model_path),
        }
    )


if __name__ == "__main__":
    flags.run(main)
