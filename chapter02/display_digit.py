"""Displaying a digit: the fourth MNIST training image, drawn with Matplotlib.

Deep Learning with Python, section 2.2.1. `train_images[4]` is a 28x28 uint8 array; `imshow` with
the binary colour map draws it (it is a 9). Saved as PNG, since scripts run headless.

Run:  python chapter02/display_digit.py
"""

from matplotlib.figure import Figure

from dlwp import flags, results
from dlwp.data import mnist
from dlwp.errors import UserError

BOOK = {"label": 9, "shape": "(28, 28)"}


def parse_args(argv=None):
    parser = flags.parser(__doc__)
    parser.add_argument("--index", type=int, default=4, help="which training image (default 4)")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    run = results.Run(__file__, args, "Display the 4th training digit", BOOK)

    (train_images, train_labels), _ = mnist.load_data(args.folders)
    if not 0 <= args.index < len(train_images):
        raise UserError(
            f"--index {args.index}: the training set holds images 0 to {len(train_images) - 1}",
            "pick one of those",
        )
    digit = train_images[args.index]

    fig = Figure(figsize=(3, 3))
    ax = fig.subplots()
    ax.imshow(digit, cmap="binary")
    ax.set_title(f"train_images[{args.index}], label {train_labels[args.index]}")
    ax.axis("off")
    run.save_figure(fig)

    return run.finish(
        {
            "label": int(train_labels[args.index]),
            "shape": str(tuple(digit.shape)),
            "dtype": str(digit.dtype),
        }
    )


if __name__ == "__main__":
    flags.run(main)
