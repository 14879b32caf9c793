"""Fine-tuning: unfreeze VGG16's last convolutional block and train it with a tiny learning rate.

Deep Learning with Python, section 5.3.2. Starting from the model of section 5.3.1 (frozen VGG16
base + Dense classifier, trained with augmentation), the layers from `block5_conv1` on are made
trainable again, everything before stays frozen, and the model is trained on with RMSprop(1e-5)
for 100 epochs, so the pretrained filters of the last block only move a little. The curves are
plotted smoothed (exponential moving average, factor 0.8, as the book does); the test accuracy
is the book's final number.

The script does both steps: first the classifier on the frozen base (the previous section's
training, `--head-epochs`), then the fine-tuning (`--epochs`).

Keras 2 -> Keras 3, line by line:
  conv_base.trainable = True; for layer in conv_base.layers: set_trainable after "block5_conv1"
                                     -> `set_trainable_from(conv_base, "block5_conv1")`
  optimizers.RMSprop(lr=1e-5)        -> keras.optimizers.RMSprop(learning_rate=1e-5)
  fit_generator(steps_per_epoch=100, epochs=100) -> fit(train_ds, epochs=100)
  evaluate_generator(test_generator, steps=50) -> evaluate(test_ds)

`--base mobilenet` (MobileNet v1 alpha 0.25, 160x160) stands in where VGG16's ImageNet weights are
missing: its last block (`conv_dw_13` ... `conv_pw_13_relu`) is unfrozen, with its
BatchNormalization layers kept frozen (in inference mode), so their statistics are not disturbed
by small batches. `--weights none` is for smoke tests only.

Quick profile: 5 head epochs and 8 fine-tuning epochs (one pass over the 2,000 training images
each) instead of 30 + 100.

Book (VGG16): test accuracy 0.967 (the text says 97%); validation accuracy ~0.97.

Run:  python chapter05/vgg16_fine_tuning.py [--base vgg16|mobilenet] [--weights imagenet|none|PATH]
"""

import matplotlib
import numpy as np
from keras import layers

from chapter05.dogs_vs_cats_augmentation import augment_dataset, data_augmentation
from chapter05.dogs_vs_cats_from_scratch import history_metrics, image_datasets, save_model
from chapter05.dogs_vs_cats_prepare import SMOKE_SPLIT, SPLIT, prepare_split
from chapter05.vgg16_feature_extraction import BASES, input_scaling, load_conv_base, run_variant
from chapter05.vgg16_feature_extraction_augmented import build_model, compile_model, freeze
from dlwp import cli, results

matplotlib.use("Agg")  # headless: write PNGs, never open a window
import matplotlib.pyplot as plt  # noqa: E402

PROFILES = {
    "smoke": {"epochs": 1, "head_epochs": 1, "image_size": 32, "split": SMOKE_SPLIT},
    "quick": {"epochs": 8, "head_epochs": 5, "image_size": None, "split": SPLIT},
    "full": {"epochs": 100, "head_epochs": 30, "image_size": None, "split": SPLIT},
}
BOOK = {"test_accuracy": 0.967, "best_val_accuracy": "~0.97"}
BATCH_SIZE = 20
FINE_TUNE_FROM = {"vgg16": "block5_conv1", "mobilenet": "conv_dw_13"}  # the last block


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


def smooth_curve(points, factor=0.8):
    """The book's exponential moving average of a curve."""
    smoothed = []
    for point in points:
        smoothed.append(smoothed[-1] * factor + point * (1 - factor) if smoothed else point)
    return smoothed


def plot_smoothed(history, title=""):
    h = history.history
    epochs = range(1, len(h["loss"]) + 1)
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    ax_acc.plot(epochs, smooth_curve(h["accuracy"]), "bo", label="Smoothed training acc")
    ax_acc.plot(epochs, smooth_curve(h["val_accuracy"]), "b", label="Smoothed validation acc")
    ax_acc.set(title=f"{title}Training and validation accuracy", xlabel="Epochs")
    ax_acc.legend()
    ax_loss.plot(epochs, smooth_curve(h["loss"]), "bo", label="Smoothed training loss")
    ax_loss.plot(epochs, smooth_curve(h["val_loss"]), "b", label="Smoothed validation loss")
    ax_loss.set(title=f"{title}Training and validation loss", xlabel="Epochs")
    ax_loss.legend()
    return fig


def parse_args(argv=None):
    parser = cli.parser(__doc__, PROFILES)
    cli.add_weights_flags(parser, BASES, "vgg16")
    parser.add_argument("--image-size", type=cli.positive_int, help="default: the base's")
    parser.add_argument("--head-epochs", type=cli.positive_int, help="epochs on the frozen base")
    return cli.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    title = f"Dogs vs. Cats: fine-tuning the last block of {args.base}"
    run = results.Run(__file__, args, title, BOOK, variant=run_variant(args))

    # Model: frozen base + classifier (section 5.3.1)
    conv_base, image_size = load_conv_base(args)
    model = build_model(conv_base, input_scaling(args.base), image_size)
    freeze(model, conv_base)
    compile_model(model, learning_rate=2e-5)

    # Data
    base_dir, _ = prepare_split(args.data_dir, args.split)
    data = image_datasets(base_dir, image_size, BATCH_SIZE, seed=args.seed)
    train = augment_dataset(data["train"], data_augmentation())

    # Train the classifier first
    head = model.fit(train, epochs=args.head_epochs, validation_data=data["validation"], verbose=2)
    head_val_acc = head.history["val_accuracy"][-1]

    # Fine-tune: unfreeze the last block, recompile with a very low learning rate
    unfrozen = set_trainable_from(conv_base, FINE_TUNE_FROM[args.base])
    compile_model(model, learning_rate=1e-5)
    print(f"fine-tuning {len(model.trainable_weights)} weight tensors: {', '.join(unfrozen)}")
    history = model.fit(train, epochs=args.epochs, validation_data=data["validation"], verbose=2)
    model_path = save_model(run, model)
    run.save_figure(plot_smoothed(history, f"fine-tuned {args.base}: "), "_curves.png")

    # Evaluate
    test_loss, test_acc = model.evaluate(data["test"], verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    return run.finish(
        {
            "test_accuracy": test_acc,
            "test_loss": test_loss,
            **history_metrics(history),
            "val_accuracy_before_fine_tuning": head_val_acc,
            "unfrozen_layers": unfrozen,
            "trainable_weights_fine_tuning": len(model.trainable_weights),
            "base": args.base,
            "image_size": image_size,
            "model_file": str(model_path),
            "smoothed_val_accuracy": np.round(smooth_curve(history.history["val_accuracy"]), 4),
        }
    )


if __name__ == "__main__":
    main()
