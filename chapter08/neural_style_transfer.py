"""Neural style transfer: repaint a photo in the style of a painting, with L-BFGS.

Deep Learning with Python, section 8.3 (notebook 8.3). A pretrained convnet measures a content loss
(one deep layer's activations vs the photo's), a style loss (Gram matrices of five layers vs the
painting's) and a total variation loss; their weighted sum is minimized over the pixels, starting
from the photo, with SciPy's L-BFGS-B (20 rounds of at most 20 evaluations, gradients from a
`tf.GradientTape`), saving one image per round. The VGG19 ImageNet weights are not available here
(a default run fails with a clear error): `--base mobilenet` runs the same method on MobileNet
(alpha 0.25), labelled as the substitute, with a style weight of 3e6 (with the book's 1 the photo
comes back unchanged).

Book (notebook 8.3): VGG19 (cell 14); content layer block5_conv2, style layers block1_conv1 ...
block5_conv1, weights content 0.025, style 1.0, total variation 1e-4 (cell 22); height 400 (cell
10); 20 rounds of `maxfun=20` (cell 26); `full` is those settings. Its loss fell from 7.40874e9 to
5.00414e8 (cell 26), but on the notebook's own unpublished images, not the Tübingen photo and Starry
Night here: other images give other numbers, so the BOOK values are None.

Run:  python chapter08/neural_style_transfer.py --base mobilenet [--content ...] [--style ...]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
import tensorflow as tf
from scipy.optimize import minimize

from dlwp import flags, results
from dlwp.data import imagenet
from dlwp.errors import UserError
from dlwp.images import MIN_SIDE, find_image, load_image_array

# quick = full: 20 rounds at height 400 take ~1.5 min with MobileNet
PROFILES = {
    "smoke": {"iterations": 1, "img_height": 48, "maxfun": 5},
    "quick": {"iterations": 20, "img_height": 400, "maxfun": 20},
    "full": {"iterations": 20, "img_height": 400, "maxfun": 20},
}
# Notebook 8.3, cell 26 printed 7.40874e+09 (round 0) ... 5.00414e+08 (round 19) for its own
# photo and painting (cell 10: portrait.png, popova.jpg), not the images here: not comparable.
BOOK = {
    "base": "VGG19",  # cell 14
    "loss_first_iteration": None,
    "loss_last_iteration": None,
    "loss_per_iteration": None,
}
# a stand-in network is compared with nothing the book measured (on VGG19)
STANDS_IN_FOR = {"mobilenet": "VGG19 (weights absent)"}
BASES = ("vgg19", "mobilenet")
LAYERS = {
    "vgg19": {
        "content": "block5_conv2",
        "style": "block1_conv1,block2_conv1,block3_conv1,block4_conv1,block5_conv1",
        "weights": (0.025, 1.0, 1e-4),  # content, style, total variation
    },
    "mobilenet": {
        "content": "conv_pw_10_relu",  # stride 16, like block5_conv2
        "style": "conv1_relu,conv_pw_1_relu,conv_pw_3_relu,conv_pw_5_relu,conv_pw_11_relu",  # 2-16
        # ReLU6 and 8-128 channels make MobileNet's Gram matrices tiny next to VGG's: tried 1e3 ...
        # 3e6 at height 200, the painting shows from 3e5 on, 3e6 paints more
        "weights": (0.025, 3e6, 1e-4),
    },
}
BASE_LABELS = {
    "vgg19": "VGG19",
    "mobilenet": "MobileNet (alpha 0.25), substitute: no VGG19 weights here",
}
CONTENT_IMAGE = "datasets/images/Tubingen.jpg"
STYLE_IMAGE = "datasets/images/transfer_style_reference.jpg"


def build_base(base, data, weights):
    """The pretrained convnet without its classifier (`weights`: a file from
    `imagenet.find_weights`, or None for random initialization)."""
    if base == "vgg19":
        return imagenet.build(keras.applications.VGG19, data, weights, "VGG19", include_top=False)
    return imagenet.build(
        keras.applications.MobileNet,
        data,
        weights,
        "MobileNet (alpha 0.25)",
        include_top=False,
        input_shape=(None, None, 3),
        alpha=0.25,
    )


def preprocess_image(image, base):
    """(h, w, 3) RGB in [0, 255] -> the network's input, a (1, h, w, 3) float32 batch."""
    if base == "vgg19":
        x = keras.applications.vgg19.preprocess_input(np.array(image, dtype="float32"))
    else:
        x = np.asarray(image, dtype="float32") / 127.5 - 1.0
    return x[None]


def deprocess_image(x, base):
    """The inverse of `preprocess_image` for one image, as uint8 RGB."""
    x = np.array(x, dtype="float64").reshape(x.shape[-3:])
    if base == "vgg19":
        x[:, :, 0] += 103.939  # zero-centering by the ImageNet mean pixel, undone
        x[:, :, 1] += 116.779
        x[:, :, 2] += 123.68
        x = x[:, :, ::-1]  # BGR -> RGB
    else:
        x = (x + 1.0) * 127.5
    return np.clip(x, 0, 255).astype("uint8")


def content_loss(base, combination):
    return tf.reduce_sum(tf.square(combination - base))


def gram_matrix(x):
    """(h, w, c) activations -> the (c, c) matrix of channel inner products."""
    features = tf.reshape(tf.transpose(x, (2, 0, 1)), (tf.shape(x)[2], -1))
    return tf.matmul(features, features, transpose_b=True)


def style_loss(style, combination, img_height, img_width):
    s = gram_matrix(style)
    c = gram_matrix(combination)
    channels = 3  # the book's constant (not the layer's channel count)
    size = img_height * img_width
    return tf.reduce_sum(tf.square(s - c)) / (4.0 * (channels**2) * (size**2))


def total_variation_loss(x):
    """Sum over pixels of (squared right difference + squared down difference) ** 1.25."""
    h, w = x.shape[1], x.shape[2]
    a = tf.square(x[:, : h - 1, : w - 1, :] - x[:, 1:, : w - 1, :])
    b = tf.square(x[:, : h - 1, : w - 1, :] - x[:, : h - 1, 1:, :])
    return tf.reduce_sum(tf.pow(a + b, 1.25))


def make_loss_and_grads(extractor, content_layer, style_layers, targets, loss_weights, shape):
    """A `tf.function`: combination image -> (total loss, its gradient), and the loss terms."""
    # stands for the book's K.gradients + K.function + its `Evaluator` class
    content_weight, style_weight, tv_weight = loss_weights
    img_height, img_width = shape[1], shape[2]

    @tf.function
    def loss_and_grads(combination):
        with tf.GradientTape() as tape:
            tape.watch(combination)
            features = extractor(combination, training=False)
            c_loss = content_weight * content_loss(
                targets[content_layer], features[content_layer][0]
            )
            s_loss = tf.zeros(())
            for layer in style_layers:
                sl = style_loss(targets[layer], features[layer][0], img_height, img_width)
                s_loss += (style_weight / len(style_layers)) * sl
            tv_loss = tv_weight * total_variation_loss(combination)
            loss = c_loss + s_loss + tv_loss
        return loss, tape.gradient(loss, combination), (c_loss, s_loss, tv_loss)

    return loss_and_grads


def scipy_objective(loss_and_grads, shape):
    """float64 flat pixels -> (loss, float64 flat gradient), what `minimize(jac=True)` calls."""

    def fun(x):
        loss, grads, _ = loss_and_grads(tf.constant(x.reshape(shape), dtype="float32"))
        return float(loss), grads.numpy().astype("float64").ravel()

    return fun


def lbfgs_round(fun, x, maxfun):
    """One of the book's iterations: L-BFGS-B with at most `maxfun` loss evaluations."""
    # the book's fmin_l_bfgs_b(evaluator.loss, x, fprime=evaluator.grads, maxfun=20)
    result = minimize(fun, x, jac=True, method="L-BFGS-B", options={"maxfun": maxfun})
    return result.x, float(result.fun)


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    flags.add_weights_flags(parser, BASES, "vgg19")
    parser.add_argument("--content", default=CONTENT_IMAGE, help="the photo (data path or file)")
    parser.add_argument("--style", default=STYLE_IMAGE, help="the painting (data path or file)")
    parser.add_argument("--content-layer", help="default: block5_conv2 / conv_pw_10_relu")
    parser.add_argument("--style-layers", help="comma-separated; default: the base's five")
    parser.add_argument(
        "--loss-weights", help="content,style,tv (default 0.025,1,1e-4; mobilenet 0.025,3e6,1e-4)"
    )
    parser.add_argument("--iterations", type=flags.positive_int, help="L-BFGS rounds")
    parser.add_argument("--maxfun", type=flags.positive_int, help="loss evaluations per round")
    parser.add_argument("--img-height", type=flags.positive_int, help="generated image height")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    variant = None if args.base == "vgg19" else args.base
    book = dict.fromkeys(BOOK) if variant else BOOK
    run = results.Run(__file__, args, f"Neural style transfer ({args.base})", book, variant=variant)
    defaults = LAYERS[args.base]
    content_layer = args.content_layer or defaults["content"]
    style_layers = (args.style_layers or defaults["style"]).split(",")
    loss_weights = defaults["weights"]
    if args.loss_weights:
        try:
            loss_weights = tuple(float(v) for v in args.loss_weights.split(","))
        except ValueError:
            loss_weights = ()
        if len(loss_weights) != 3 or not all(0 <= w < float("inf") for w in loss_weights):
            raise UserError(
                f"--loss-weights {args.loss_weights!r}: expected content,style,tv",
                "three finite numbers >= 0",
            )

    # Data: the photo fixes the size (height img_height, same aspect ratio)
    weights = imagenet.find_weights(args.folders, args.base, False, args.weights)
    content_path = find_image(args.folders, args.content, "content photo", "--content")
    style_path = find_image(args.folders, args.style, "style painting", "--style")
    width, height = load_image_array(content_path, min_side=MIN_SIDE).shape[1::-1]
    load_image_array(style_path, min_side=MIN_SIDE)  # checked before minutes of L-BFGS
    img_height = args.img_height
    img_width = int(width * img_height / height)
    target = load_image_array(content_path, (img_height, img_width))
    style = load_image_array(style_path, (img_height, img_width))

    # Model: the activations of the chosen layers
    model = build_base(args.base, args.folders, weights)
    names = [layer.name for layer in model.layers]
    missing = [n for n in [content_layer, *style_layers] if n not in names]
    if missing:
        raise UserError(f"layers {missing} not in {model.name}; choose among {names}")
    outputs = {n: model.get_layer(n).output for n in dict.fromkeys([content_layer, *style_layers])}
    extractor = keras.Model(model.input, outputs)
    # the photo's and the painting's activations, once (the book recomputed them every evaluation)
    content_features = extractor(preprocess_image(target, args.base), training=False)
    style_features = extractor(preprocess_image(style, args.base), training=False)
    targets = {content_layer: content_features[content_layer][0]}
    targets.update({layer: style_features[layer][0] for layer in style_layers})
    shape = (1, img_height, img_width, 3)
    loss_and_grads = make_loss_and_grads(
        extractor, content_layer, style_layers, targets, loss_weights, shape
    )
    fun = scipy_objective(loss_and_grads, shape)

    # Optimize the pixels with L-BFGS, starting from the photo
    x = preprocess_image(target, args.base).astype("float64").ravel()
    initial_loss = fun(x)[0]
    print(f"Initial loss: {initial_loss:.4g}")
    frames = run.path("_iterations")
    frames.mkdir(exist_ok=True)
    losses = []
    for i in range(args.iterations):
        x, loss = lbfgs_round(fun, x, args.maxfun)
        losses.append(loss)
        print(f"Current loss value at iteration {i}: {loss:.4g}", flush=True)
        keras.utils.save_img(
            frames / f"round_{i:02d}.png", deprocess_image(x.reshape(shape), args.base), scale=False
        )
    result_path = run.path(".png")
    keras.utils.save_img(result_path, deprocess_image(x.reshape(shape), args.base), scale=False)
    run.add_figure(result_path)
    _, _, terms = loss_and_grads(tf.constant(x.reshape(shape), dtype="float32"))

    return run.finish(
        {
            "base": BASE_LABELS[args.base],
            "stands_in_for": STANDS_IN_FOR.get(args.base),
            "loss_first_iteration": losses[0],
            "loss_last_iteration": losses[-1],
            "loss_per_iteration": losses,
            "initial_loss": initial_loss,
            "final_terms": dict(zip(("content", "style", "total_variation"), map(float, terms))),
            "layers": {"content": content_layer, "style": style_layers},
            "loss_weights": list(loss_weights),
            "image_size": [img_height, img_width],
        }
    )


if __name__ == "__main__":
    flags.run(main)
