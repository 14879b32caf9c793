"""Visualizing convnet filters: the input pattern each filter responds to most.

Deep Learning with Python, section 5.4.2. For one filter of one layer of the ImageNet VGG16
conv base, the loss is the mean activation of that filter; starting from a gray image with noise,
gradient ascent on the input (40 steps of size 1, the gradient normalized by its L2 norm) finds an
image that maximizes it. The book draws the first 64 filters of block1_conv1 ... block4_conv1 in
8x8 grids: simple colors and edges in block 1, textures deeper down (feathers, eyes, leaves).
Without VGG16's weights (in `<data>/models/`, else downloaded) the run stops with one clear error;
`--base mobilenet` (MobileNet v1, alpha 0.25) or `--model PATH` (a saved model's own Conv2D
layers) stands in, labelled `@mobilenet` / `@model`, with no book number beside it.

Book: 4 grids of 64 filter patterns, VGG16's block1_conv1 ... block4_conv1 (notebook 5.4, the
filter-visualization cells, 23-39 in a fork's copy; they print no number).

Run:  python chapter05/visualize_filters.py [--profile smoke|quick|full] [--base vgg16|mobilenet]
          [--weights imagenet|none|PATH] [--model PATH]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from keras.applications import VGG16, MobileNet
from matplotlib.figure import Figure

from dlwp import flags, results
from dlwp.data import imagenet
from dlwp.errors import UserError
from dlwp.models import load_model

PROFILES = {
    "smoke": {"filters": 4, "size": 32, "steps": 3},
    "quick": {"filters": 64, "size": 64, "steps": 40},  # the book's grids, as full
    "full": {"filters": 64, "size": 64, "steps": 40},
}
BOOK = {  # notebook 5.4, the grid cell's loop: for layer_name in [...]: ... range(8) x range(8)
    "layers": ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1"],
    "filters": 64,
}
STANDS_IN_FOR = "the book's ImageNet VGG16 (block1_conv1 ... block4_conv1)"
# --base: the book's VGG16 or a small stand-in, as (Keras application, its options, what a wrong
# weights file is named as)
APPLICATIONS = {
    "vgg16": (VGG16, {}, "VGG16 conv base"),
    "mobilenet": (MobileNet, {"alpha": 0.25}, "MobileNet (alpha 0.25) conv base"),
}
BASES = tuple(APPLICATIONS)
LAYERS = {
    "vgg16": ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1"],
    "mobilenet": ["conv_pw_1", "conv_pw_3", "conv_pw_5", "conv_pw_11"],  # pointwise, before BN
}


def feature_model(model, layer_name, scaling=None):
    """Input image in [0, 255] -> the output of `layer_name`."""
    try:
        output = model.get_layer(layer_name).output
    except ValueError:
        raise UserError(
            f"{model.name} has no layer {layer_name!r}", "pick its layers with --layers"
        ) from None
    inner = keras.Model(model.inputs, output)
    if scaling is None:
        return inner
    inputs = keras.Input(model.input_shape[1:])
    return keras.Model(inputs, inner(scaling(inputs)))


def generate_patterns(model, filter_indices, size=150, steps=40, step=1.0, seed=0):
    """Gradient ascent on a batch of inputs, image i maximizing the mean of filter
    `filter_indices[i]` of `model`'s output; returns the raw float images (n, size, size, 3).
    The book's generate_pattern ascends one filter at a time; the losses are independent, so each
    image gets exactly the gradient the book's loop gives it, many times faster on a CPU."""
    rng = np.random.default_rng(seed)
    images = tf.Variable(
        rng.random((len(filter_indices), size, size, 3)) * 20 + 128.0, dtype="float32"
    )
    mask = tf.one_hot(filter_indices, int(model.output_shape[-1]))  # (n, channels)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            activation = model(images)  # (n, h, w, channels)
            per_image = tf.reduce_mean(activation, axis=(1, 2))  # (n, channels)
            # the sum of each image's own filter mean (the book's K.mean(output[..., index]))
            loss = tf.reduce_sum(per_image * mask)
        grads = tape.gradient(loss, images)  # the book's K.gradients(loss, model.input)[0]
        # the book's grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5), per image
        grads /= tf.sqrt(tf.reduce_mean(tf.square(grads), axis=(1, 2, 3), keepdims=True)) + 1e-5
        images.assign_add(grads * step)
    return images.numpy()


def generate_pattern(model, filter_index, size=150, steps=40, step=1.0):
    """The book's function: the pattern of one filter, as a displayable uint8 image."""
    return deprocess_image(generate_patterns(model, [filter_index], size, steps, step)[0])


def deprocess_image(x):
    """The book's: standardize to std 0.1 around 0.5, clip to [0, 1], then uint8 [0, 255]."""
    x = np.asarray(x, dtype="float64")
    x = x - x.mean()
    x = x / (x.std() + 1e-5) * 0.1 + 0.5
    return (np.clip(x, 0, 1) * 255).astype("uint8")


def pattern_grid(patterns, per_row=8, margin=5):
    """Images (n, s, s, 3) uint8 -> one grid image with black margins, as in the book: filled
    column by column (the book puts filter i + 8 j in row i, column j)."""
    n, size = len(patterns), patterns.shape[1]
    rows = -(-n // per_row)
    grid = np.zeros((rows * size + (rows - 1) * margin, per_row * size + (per_row - 1) * margin, 3))
    for i, pattern in enumerate(patterns):
        c, r = divmod(i, rows)
        top, left = r * (size + margin), c * (size + margin)
        grid[top : top + size, left : left + size] = pattern
    return grid.astype("uint8")


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    flags.add_weights_flags(parser, BASES, "vgg16")
    parser.add_argument("--model", help="a saved .keras model: draw its own Conv2D layers")
    parser.add_argument("--layers", help="comma-separated layer names (default: 4 per network)")
    parser.add_argument("--filters", type=flags.positive_int, help="filters per layer")
    parser.add_argument("--size", type=flags.positive_int, help="pattern side, pixels")
    parser.add_argument("--steps", type=flags.positive_int, help="gradient-ascent steps")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    variant = "model" if args.model else (None if args.base == "vgg16" else args.base)
    network = Path(args.model).name if args.model else f"the ImageNet {args.base}"
    book = BOOK if variant is None else dict.fromkeys(BOOK)  # the book drew VGG16's filters
    run = results.Run(__file__, args, f"Filter patterns of {network}", book, variant=variant)

    # Model
    if args.model:
        how_to_make = "pass --model PATH to a saved .keras model, or leave it out for --base"
        model, scaling = load_model(args.model, how_to_make), None
        names = [layer.name for layer in model.layers if isinstance(layer, layers.Conv2D)][:4]
        size = model.input_shape[1] or args.size
    else:  # the book's model = VGG16(weights="imagenet", include_top=False)
        shape = (args.size, args.size, 3)
        weights = imagenet.find_weights(
            args.folders, args.base, include_top=False, weights=args.weights
        )
        application, options, what = APPLICATIONS[args.base]
        model = imagenet.build(
            application,
            args.folders,
            weights,
            what,
            include_top=False,
            input_shape=shape,
            **options,
        )
        # the book feeds VGG16 raw [0, 255] pixels; MobileNet gets the [-1, 1] it was trained on
        scaling = None if args.base == "vgg16" else imagenet.rescaling(args.base)
        names, size = LAYERS[args.base], args.size
    names = args.layers.split(",") if args.layers else names
    if not names:
        raise UserError(f"{network} has no Conv2D layers at its top level", "pass --layers")

    # Gradient ascent, one batch per layer
    grids, counts = [], {}
    for name in names:
        features = feature_model(model, name, scaling)
        n = min(args.filters, int(features.output_shape[-1]))
        raw = generate_patterns(features, list(range(n)), size, args.steps)
        patterns = np.stack([deprocess_image(p) for p in raw])
        grids.append(pattern_grid(patterns))
        counts[name] = n
        print(f"{name}: {n} patterns of {size}x{size}")

    # Visualize
    ratios = [g.shape[0] / g.shape[1] for g in grids]
    fig = Figure(figsize=(5, 5 * sum(ratios) + 0.3 * len(grids)))
    axes = fig.subplots(len(grids), 1, gridspec_kw={"height_ratios": ratios}, squeeze=False)
    for ax, name, grid in zip(axes[:, 0], names, grids):
        ax.imshow(grid)
        ax.set_title(f"{name}: first {counts[name]} filters")
        ax.axis("off")
    fig.tight_layout()
    run.save_figure(fig, ".png")
    stand_in = {"stands_in_for": STANDS_IN_FOR} if variant else {}
    return run.finish(
        {
            **stand_in,
            "layers": names,
            "filters": max(counts.values()),
            "filters_per_layer": counts,
            "pattern_size": size,
            "network": network,
            "grid_std": [round(float(g.std()), 2) for g in grids],
        }
    )


if __name__ == "__main__":
    flags.run(main)
