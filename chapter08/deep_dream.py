"""DeepDream: gradient ascent on an image to over-excite chosen layers of a pretrained convnet.

Deep Learning with Python, section 8.2 (notebook 8.2). The loss is a weighted sum of several layers'
mean squared activations (a 2-pixel border left out); gradient *ascent* on the image (gradients
normalized by their mean absolute value, step 0.01, 20 iterations, stopping above `max_loss`) runs
at 3 octaves, each 1.4 times larger, re-injecting after each the detail lost by shrinking the photo.
The InceptionV3 ImageNet weights are not available here (a default run fails with a clear error):
`--base mobilenet` runs the same algorithm on MobileNet (alpha 0.25), labelled as the substitute,
with layers conv_pw_5/7/9/11_relu and max_loss 35 (its loss is on another scale).

Book (notebook 8.2): InceptionV3 (cell 3) with mixed2: 0.2, mixed3: 3, mixed4: 2, mixed5: 1.5
(cell 5); step 0.01, 3 octaves of ratio 1.4, 20 iterations, max_loss 10 (cell 15); `full` is those
settings. Cell 15's octave shapes (178, 178), (250, 250), (350, 350) and last losses 9.94124,
9.60977, 9.9852 are for the notebook's own unpublished photo; the photo here is the book's elephant
(section 5.4; `--image`), so the BOOK values are None.

Run:  python chapter08/deep_dream.py --base mobilenet [--image PATH] [--layers name:weight,...]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
import tensorflow as tf

from dlwp import flags, results
from dlwp.data import imagenet
from dlwp.errors import UserError
from dlwp.images import MIN_SIDE, find_image, load_image_array

PROFILES = {
    "smoke": {"iterations": 2, "max_dim": 160},
    "quick": {"iterations": 20, "max_dim": None},
    "full": {"iterations": 20, "max_dim": None},
}
# Notebook 8.2, cell 15 printed octave shapes and losses for its own photo, not the elephant.
BOOK = {"base": "InceptionV3", "loss_per_octave": None, "octave_shapes": None}  # base: cell 3
# a stand-in network is compared with nothing the book measured (on InceptionV3)
STANDS_IN_FOR = {"mobilenet": "InceptionV3 (weights absent)"}
BASE_LABELS = {
    "inception_v3": "InceptionV3",
    "mobilenet": "MobileNet (alpha 0.25), substitute: no InceptionV3 weights here",
}
BASES = ("inception_v3", "mobilenet")
DEFAULT_LAYERS = {
    "inception_v3": {"mixed2": 0.2, "mixed3": 3.0, "mixed4": 2.0, "mixed5": 1.5},
    "mobilenet": {  # strides 8 to 16, like mixed2-mixed5
        "conv_pw_5_relu": 0.2,
        "conv_pw_7_relu": 3.0,
        "conv_pw_9_relu": 2.0,
        "conv_pw_11_relu": 1.5,
    },
}
# MobileNet's loss is on another scale: ~14 at the first step on the elephant, ~31 at the last
MAX_LOSS = {"inception_v3": 10.0, "mobilenet": 35.0}
DEFAULT_IMAGE = "datasets/images/creative_commons_elephant.jpg"
STEP = 0.01  # gradient ascent step size
NUM_OCTAVE = 3  # number of scales
OCTAVE_SCALE = 1.4  # size ratio between scales


def build_base(base, data, weights):
    """The pretrained convnet, any input size, without its classifier (`weights`: a file from
    `imagenet.find_weights`, or None for random initialization)."""
    if base == "inception_v3":
        return imagenet.build(
            keras.applications.InceptionV3,
            data,
            weights,
            "InceptionV3",
            include_top=False,
            input_shape=(None, None, 3),
        )
    return imagenet.build(
        keras.applications.MobileNet,
        data,
        weights,
        "MobileNet (alpha 0.25)",
        include_top=False,
        input_shape=(None, None, 3),
        alpha=0.25,
    )


def preprocess(image):
    """RGB in [0, 255] -> the [-1, 1] scaling both InceptionV3 and MobileNet were trained with."""
    return image / 127.5 - 1.0


def deprocess(x):
    return np.clip((np.asarray(x) + 1.0) * 127.5, 0, 255).astype("uint8")


def parse_layers(text):
    """'a:0.2,b:3' -> {'a': 0.2, 'b': 3.0}; UserError on a malformed value."""
    out = {}
    for item in text.split(","):
        name, _, weight = item.strip().partition(":")
        try:
            out[name] = float(weight)
        except ValueError:
            raise UserError(f"--layers {text!r}: expected name:weight,name:weight") from None
    return out


def feature_extractor(model, layer_weights):
    names = [layer.name for layer in model.layers]
    missing = [n for n in layer_weights if n not in names]
    if missing:
        raise UserError(f"--layers: {missing} not in {model.name}; choose among {names}")
    outputs = {name: model.get_layer(name).output for name in layer_weights}
    return keras.Model(model.input, outputs)


def dream_loss(features, layer_weights):
    """Weighted sum over layers of sum(activation**2) / activation size, borders (2 px) excluded."""
    loss = tf.zeros(())
    for name, coeff in layer_weights.items():
        activation = features[name]
        scaling = tf.reduce_prod(tf.cast(tf.shape(activation), "float32"))
        loss += coeff * tf.reduce_sum(tf.square(activation[:, 2:-2, 2:-2, :])) / scaling
    return loss


def make_ascent_step(extractor, layer_weights):
    """A `tf.function` doing one gradient-ascent step: (image, step) -> (loss, new image)."""

    @tf.function
    def gradient_ascent_step(image, step):
        with tf.GradientTape() as tape:
            tape.watch(image)
            # training=False stands for the book's K.set_learning_phase(0)
            loss = dream_loss(extractor(image, training=False), layer_weights)
        grads = tape.gradient(loss, image)
        grads /= tf.maximum(tf.reduce_mean(tf.abs(grads)), 1e-7)
        return loss, image + step * grads

    return gradient_ascent_step


def gradient_ascent(ascent_step, image, iterations, step, max_loss=None):
    """`iterations` ascent steps, stopping before the loss exceeds `max_loss`: (image, losses)."""
    losses = []
    for i in range(iterations):
        loss, new_image = ascent_step(image, tf.constant(step))
        loss = float(loss)
        if max_loss is not None and loss > max_loss:
            break
        image = new_image
        losses.append(loss)
        print(f"...loss value at {i}: {loss:.3f}")
    return image, losses


def octave_shapes(original_shape, num_octave=NUM_OCTAVE, octave_scale=OCTAVE_SCALE):
    """The image sizes processed, smallest first, ending with `original_shape`."""
    shapes = [tuple(original_shape)]
    for i in range(1, num_octave):
        shapes.append(tuple(int(dim / (octave_scale**i)) for dim in original_shape))
    return shapes[::-1]


def resize(image, shape):  # the book's scipy.ndimage.zoom(order=1): bilinear too
    return tf.image.resize(image, shape, method="bilinear")


def deep_dream(ascent_step, image, iterations, step, max_loss, shapes):
    """The book's octave loop with detail re-injection, on a preprocessed (1, h, w, 3) batch."""
    original_img = tf.constant(image, dtype="float32")
    shrunk_original_img = resize(original_img, shapes[0])
    img = original_img
    losses = []
    for shape in shapes:
        print("Processing image shape", shape)
        img = resize(img, shape)
        img, octave_losses = gradient_ascent(ascent_step, img, iterations, step, max_loss)
        losses.append(octave_losses)
        upscaled_shrunk_original_img = resize(shrunk_original_img, shape)
        same_size_original = resize(original_img, shape)
        lost_detail = same_size_original - upscaled_shrunk_original_img
        img += lost_detail
        shrunk_original_img = resize(original_img, shape)
    return img.numpy(), losses


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    flags.add_weights_flags(parser, BASES, "inception_v3")
    parser.add_argument(
        "--image",
        default=DEFAULT_IMAGE,
        help=f"the photo (data-folder path or file; {DEFAULT_IMAGE})",
    )
    parser.add_argument("--layers", help="name:weight,... (default: the base's, see the docstring)")
    parser.add_argument("--iterations", type=flags.positive_int, help="ascent steps per octave")
    parser.add_argument(
        "--max-loss", type=float, help="stop an octave above this (default 10; 35 for mobilenet)"
    )
    parser.add_argument("--max-dim", type=flags.positive_int, help="shrink the photo to this size")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    variant = None if args.base == "inception_v3" else args.base
    book = dict.fromkeys(BOOK) if variant else BOOK
    run = results.Run(__file__, args, f"DeepDream ({args.base})", book, variant=variant)
    layer_weights = parse_layers(args.layers) if args.layers else DEFAULT_LAYERS[args.base]
    max_loss = args.max_loss if args.max_loss is not None else MAX_LOSS[args.base]

    # Data and model
    weights = imagenet.find_weights(args.folders, args.base, False, args.weights)
    photo = find_image(args.folders, args.image, "photo", "--image")
    image = load_image_array(photo, min_side=MIN_SIDE)  # a tiny photo has no octaves to dream
    if args.max_dim and max(image.shape[:2]) > args.max_dim:
        scale = args.max_dim / max(image.shape[:2])
        size = (int(image.shape[0] * scale), int(image.shape[1] * scale))
        image = tf.image.resize(image, size).numpy()
    model = build_base(args.base, args.folders, weights)
    extractor = feature_extractor(model, layer_weights)
    ascent_step = make_ascent_step(extractor, layer_weights)

    # Dream
    shapes = octave_shapes(image.shape[:2])
    dream, losses = deep_dream(
        ascent_step, preprocess(image)[None], args.iterations, STEP, max_loss, shapes
    )
    path = run.path(".png")
    keras.utils.save_img(path, deprocess(dream[0]), scale=False)
    run.add_figure(path)

    return run.finish(
        {
            "base": BASE_LABELS[args.base],
            "stands_in_for": STANDS_IN_FOR.get(args.base),
            "loss_per_octave": [
                {"first": ls[0], "last": ls[-1], "steps": len(ls)} if ls else {"steps": 0}
                for ls in losses
            ],
            "octave_shapes": [list(s) for s in shapes],
            "layers": layer_weights,
            "max_loss": max_loss,
            "mean_abs_change": float(np.abs(deprocess(dream[0]).astype("float32") - image).mean()),
        }
    )


if __name__ == "__main__":
    flags.run(main)
