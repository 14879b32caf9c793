"""Visualizing intermediate activations of the Dogs vs. Cats convnet.

Deep Learning with Python, section 5.4.1. Loads the convnet dogs_vs_cats_augmentation.py trained
(section 5.2.5; run it first, with the same `--profile`: full is the book's, 150x150; quick's is
96x96, so its maps are smaller than the book's 148x148) and builds a model returning the outputs
of its first eight layers (four Conv2D, four MaxPooling2D). One test picture of a cat
(cat.1700.jpg, or `--image`) goes in; every channel of every layer is drawn in a grid, 16 per row,
after the book's display normalization. Early layers keep almost all of the picture; deeper ones
become abstract, and more of their channels stay blank.

Book: 8 layers shown (notebook 5.4, cell 9: `model.layers[:8]`); the first layer's activation has
shape (1, 148, 148, 32) (cell 13).

Run:  python chapter05/visualize_activations.py [--profile smoke|quick|full] [--model PATH.keras]
          [--image PATH]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

from pathlib import Path

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure

from dlwp import flags, images, results
from dlwp.errors import UserError
from dlwp.models import load_model

BOOK = {  # notebook 5.4
    "layers_shown": 8,  # cell 9: layer_outputs = [layer.output for layer in model.layers[:8]]
    "first_layer_activation_shape": [1, 148, 148, 32],  # cell 13
}
MAX_LAYERS = 8  # the book's: the four Conv2D and four MaxPooling2D layers
IMAGES_PER_ROW = 16  # cell 19
DEFAULT_IMAGE = "datasets/dogs-vs-cats/train/cat.1700.jpg"  # the book's test picture (cell 5)


def default_model(profile: str) -> str:
    """The model dogs_vs_cats_augmentation.py saves with `--profile profile`, under --output-dir."""
    return f"chapter05/models/dogs_vs_cats_augmentation{results.profile_suffix(profile)}.keras"


def how_to_make(profile: str) -> str:
    return (
        f"run chapter05/dogs_vs_cats_augmentation.py --profile {profile} first, or pass "
        "--model PATH to a saved .keras model"
    )


def activation_model(model, max_layers=MAX_LAYERS):
    """A model returning the outputs of the first `max_layers` Conv2D/MaxPooling2D layers: the
    book's Model(model.input, [layer.output for layer in model.layers[:8]]), skipping the layers
    ours has before them (Rescaling)."""
    chosen = [
        layer for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.MaxPooling2D))
    ][:max_layers]
    if not chosen:
        raise UserError(
            f"{model.name} has no Conv2D or MaxPooling2D layers at its top level",
            "pass a convnet such as the one chapter05/dogs_vs_cats_augmentation.py saves",
        )
    names = [layer.name for layer in chosen]
    return keras.Model(model.inputs, [layer.output for layer in chosen]), names


def channel_grid(activation, images_per_row=IMAGES_PER_ROW):
    """The book's display grid of one layer's (1, h, w, c) activation: uint8 (rows*h, 16*w).

    Each channel is standardized, scaled by 64 around 128 and clipped to [0, 255].
    """
    _, height, width, n_features = activation.shape
    n_rows = -(-n_features // images_per_row)
    grid = np.zeros((n_rows * height, images_per_row * width), dtype="uint8")
    for index in range(n_features):
        channel = activation[0, :, :, index].astype("float64")
        channel = channel - channel.mean()
        channel = channel / (channel.std() + 1e-5) * 64 + 128
        row, col = divmod(index, images_per_row)
        grid[row * height : (row + 1) * height, col * width : (col + 1) * width] = np.clip(
            channel, 0, 255
        ).astype("uint8")
    return grid


def plot_grids(names, grids, image):
    heights = [g.shape[0] / g.shape[1] for g in grids]
    fig = Figure(figsize=(12, 12 * (sum(heights) + 0.25) + 0.5 * len(grids)))
    axes = fig.subplots(
        len(grids) + 1, 1, gridspec_kw={"height_ratios": [0.25, *heights]}, squeeze=False
    )[:, 0]
    axes[0].imshow(image.astype("uint8"))
    axes[0].set_title("input")
    for ax, name, grid in zip(axes[1:], names, grids):
        ax.imshow(grid, aspect="auto", cmap="viridis")
        ax.set_title(f"{name}: {grid.shape[0]}x{grid.shape[1]} grid of channels")
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    return fig


def parse_args(argv=None):
    parser = flags.parser(__doc__, None)
    parser.add_argument(
        "--model",
        help=f"a saved .keras model (default <output-dir>/{default_model('<profile>')})",
    )
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="an image file or data-folder path")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Intermediate activations of the Dogs vs. Cats convnet", BOOK)

    # Model and input: the picture at the model's input size, as a batch of one
    model_path = Path(args.model or args.output_dir / default_model(args.profile))
    # the book's load_model("cats_and_dogs_small_2.h5"); a missing or broken file is one line
    model = load_model(model_path, how_to_make(args.profile))
    image_path = images.find_image(args.folders, args.image)
    height, width = model.input_shape[1:3]
    # the book's load_img(path, target_size=(150, 150)), img_to_array: resized bilinearly (see
    # the README's table); the model's own Rescaling does the /255. A photo under 32 pixels a
    # side, too large (a decompression bomb) or not an image: one line naming it, BadData
    x = images.load_image_array(image_path, (height, width), min_side=images.MIN_SIDE)[None]
    print(f"{image_path}: input {x.shape}; model {model_path.name}")

    # Activations
    act_model, names = activation_model(model, MAX_LAYERS)
    activations = act_model.predict(x, verbose=0)
    if not isinstance(activations, (list, tuple)):
        activations = [activations]
    activations = [np.asarray(a) for a in activations]
    for name, act in zip(names, activations):
        print(f"{name}: {act.shape}")

    # Visualize
    grids = [channel_grid(a, IMAGES_PER_ROW) for a in activations]
    run.save_figure(plot_grids(names, grids, x[0]), ".png")
    blank = {
        name: round(float(np.mean(a[0].reshape(-1, a.shape[-1]).max(axis=0) <= 0)), 4)
        for name, a in zip(names, activations)
    }
    return run.finish(
        {
            "layers_shown": len(names),
            "first_layer_activation_shape": list(activations[0].shape),
            "activation_shapes": {n: list(a.shape) for n, a in zip(names, activations)},
            "blank_channel_fraction": blank,
            "model": run.relative(model_path),
            "image": args.folders.name(image_path),
        }
    )


if __name__ == "__main__":
    flags.run(main)
