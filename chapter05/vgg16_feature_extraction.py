"""Feature extraction with a pretrained convnet: VGG16's conv base + a small Dense classifier.

Deep Learning with Python, section 5.3.1 (fast feature extraction without augmentation). The
ImageNet-trained VGG16 base (`include_top=False`, 150x150 inputs) runs once over the small Dogs
vs. Cats split; its outputs, (N, 4, 4, 512), flattened to 8,192 features, train a Dense(256,
relu) -> Dropout(0.5) -> Dense(1, sigmoid) classifier: RMSprop(2e-5), 30 epochs, batches of 20.
Cheap, but without augmentation it overfits quickly. Without VGG16's weights (in
`<data>/models/`, else downloaded) the run stops with one clear error; `--base mobilenet`
(MobileNet v1, alpha 0.25, 160x160) stands in, labelled `@mobilenet`, with no book number beside it.

Book: validation accuracy 0.903, first reached at epoch 20 (and again at 25, 26, 29, 30), 0.903
at epoch 30 (notebook 5.3, cell 12, VGG16; the text: "about 90%"); no test accuracy.

Run:  python chapter05/vgg16_feature_extraction.py [--profile smoke|quick|full]
          [--base vgg16|mobilenet] [--weights imagenet|none|PATH]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers
from keras.applications import VGG16, MobileNet

from dlwp import flags, image_pipelines, results
from dlwp.data import dogs_vs_cats, imagenet
from dlwp.history import best_epoch, curves
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "image_size": 32, "split": dogs_vs_cats.SMOKE_SPLIT},
    # quick: the notebook's too (the base runs once per image; the classifier trains in seconds)
    "quick": {"epochs": 30, "image_size": None, "split": dogs_vs_cats.SPLIT},
    "full": {"epochs": 30, "image_size": None, "split": dogs_vs_cats.SPLIT},
}
BOOK = {  # notebook 5.3, cell 12: the classifier on VGG16's features, 30 epochs
    "best_val_accuracy": 0.903,  # val_acc 0.9030, first at epoch 20
    "best_val_epoch": 20,
    "final_val_accuracy": 0.903,  # epoch 30's line
    "test_accuracy": None,  # the notebook does not evaluate this model
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
BATCH_SIZE = 20  # cell 8


def extract_features(conv_base, scaling, directory, image_size, shuffle_seed=None):
    """The book's `extract_features(directory, sample_count)`: every image of `directory` through
    the base once; returns (features (N, h, w, c), labels (N,))."""
    # the book's flow_from_directory(directory, target_size, batch_size=20, class_mode="binary"),
    # resized bilinearly (Keras 3's default; see the README's table of differences)
    dataset = keras.utils.image_dataset_from_directory(
        directory,
        label_mode="binary",  # cats 0, dogs 1 (the folders, in alphabetical order)
        image_size=(image_size, image_size),
        batch_size=None,  # batched by in_memory
        shuffle=False,
        verbose=False,
    )
    dataset = image_pipelines.in_memory(dataset, BATCH_SIZE, shuffle_seed=shuffle_seed)
    features, labels = [], []
    for images, batch_labels in dataset:  # the book's generator loop, one predict per batch
        features.append(conv_base.predict(scaling(images), verbose=0))
        labels.append(np.asarray(batch_labels).reshape(-1))
    return np.concatenate(features), np.concatenate(labels)


def build_classifier(feature_shape):
    model = keras.Sequential(
        [
            keras.Input(shape=(int(np.prod(feature_shape)),)),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=2e-5, epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    flags.add_weights_flags(parser, BASES, "vgg16")
    parser.add_argument("--image-size", type=flags.positive_int, help="default: the base's")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    title = f"Dogs vs. Cats: feature extraction with the {args.base} conv base"
    variant = None if args.base == "vgg16" else args.base  # a substitute base: its own results
    book = BOOK if variant is None else dict.fromkeys(BOOK)  # no book number beside a stand-in
    run = results.Run(__file__, args, title, book, variant=variant)

    # Model: the pretrained base, loaded first so that a missing weights file fails fast; the
    # book's conv_base = VGG16(weights="imagenet", include_top=False, input_shape=(150, 150, 3));
    # the weights file is looked for under <data>/models/ with Keras' name; a wrong one is one line
    image_size = args.image_size or IMAGE_SIZE[args.base]
    shape = (image_size, image_size, 3)
    weights = imagenet.find_weights(
        args.folders, args.base, include_top=False, weights=args.weights
    )
    application, options, what = APPLICATIONS[args.base]
    conv_base = imagenet.build(
        application, args.folders, weights, what, include_top=False, input_shape=shape, **options
    )
    # [0, 255] pixels -> the range the base expects: the book's 1/255 for VGG16, MobileNet [-1, 1]
    scaling = imagenet.rescaling(args.base)

    # Data: the split, and the base's outputs on it, recorded once
    base_dir, _ = dogs_vs_cats.prepare_split(args.folders, args.split)
    feats = {
        "train": extract_features(
            conv_base, scaling, base_dir / "train", image_size, shuffle_seed=args.seed
        ),
        "validation": extract_features(conv_base, scaling, base_dir / "validation", image_size),
        "test": extract_features(conv_base, scaling, base_dir / "test", image_size),
    }
    feature_shape = feats["train"][0].shape[1:]
    for name, (x, _) in feats.items():
        print(f"{name} features: {x.shape}")
    flat = {name: (x.reshape(len(x), -1), y) for name, (x, y) in feats.items()}

    # Train the classifier on the features
    classifier = build_classifier(feature_shape)
    history = classifier.fit(
        *flat["train"],
        epochs=args.epochs,
        batch_size=BATCH_SIZE,
        validation_data=flat["validation"],
        verbose=2,
    )
    run.save_figure(curves(history, title=f"{args.base} features"), "_curves.png")

    # Evaluate
    test_loss, test_acc = classifier.evaluate(*flat["test"], verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    # base + classifier as one model on raw pixels, for the visualization scripts
    model = keras.Sequential(
        [keras.Input((image_size, image_size, 3)), scaling, conv_base, layers.Flatten(), classifier]
    )
    model_path = run.save_model(model)
    stand_in = {"stands_in_for": STANDS_IN_FOR} if variant else {}
    return run.finish(
        {
            **stand_in,
            **best_epoch(history, epoch_key="best_val_epoch"),
            "final_train_accuracy": history.history["accuracy"][-1],
            "test_accuracy": test_acc,
            "test_loss": test_loss,
            "features_shape": {name: list(x.shape) for name, (x, _) in feats.items()},
            "base": args.base,
            "image_size": image_size,
            "model_file": run.relative(model_path),
        }
    )


if __name__ == "__main__":
    flags.run(main)
