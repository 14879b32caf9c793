"""Residual connections: identity and projected shortcuts (functional API).

Deep Learning with Python, section 7.1.4 ("Residual connections"). Identity residual: three 3x3
convs (128 channels, `padding="same"`) on a 128-channel input, then `add([y, x])`, shapes matching.
Projected residual: two 3x3 convs and a 2x2 max pooling halve the size, so `x` goes through a 1x1
conv with strides 2 before the `add`. Checks: the output shapes, and with the conv branch's weights
zeroed, the identity block returns `x` exactly and the projected one the 1x1 projection of `x`.
Each block is also trained briefly on seeded random images (a pooling + softmax head).

Book: no numbers printed; with 32x32 inputs the code gives (32, 32, 128) for the identity block
and (16, 16, 128) for the projected one.

Run:  python chapter07/residual_connection.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers

from dlwp import UserError, flags, graphs, results
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "num_samples": 16, "image_size": 16},
    "quick": {"epochs": 2, "num_samples": 128, "image_size": 32},
    "full": {"epochs": 10, "num_samples": 1000, "image_size": 32},  # the book does not train it
}
BOOK = {
    "identity_output_shape": "(32, 32, 128)",
    "projected_output_shape": "(16, 16, 128)",
    "identity_shortcut_exact": "yes",
    "projection_shortcut_exact": "yes",
}


def identity_residual_block(x):
    """Three 3x3 convs; the input (same shape) is added back unchanged."""
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    return layers.add([y, x])


def projected_residual_block(x):
    """Two 3x3 convs and a 2x2 pooling; the input is projected by a strided 1x1 conv."""
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.MaxPooling2D(2, strides=2)(y)
    residual = layers.Conv2D(128, 1, strides=2, padding="same", name="projection")(x)
    return layers.add([y, residual])


def build_blocks(image_size):
    """(identity block on 128 channels, projected block on 64 channels) as Models."""
    x = keras.Input(shape=(image_size, image_size, 128))
    identity = keras.Model(x, identity_residual_block(x), name="identity_residual")
    x = keras.Input(shape=(image_size, image_size, 64))
    projected = keras.Model(x, projected_residual_block(x), name="projected_residual")
    return identity, projected


def zero_branch_output(block, x):
    """The block's output on `x` with the residual branch's convs zeroed (not the shortcut's)."""
    clone = keras.models.clone_model(block)
    clone.set_weights(block.get_weights())
    for layer in clone.layers:
        if isinstance(layer, layers.Conv2D) and layer.name != "projection":
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    return clone.predict(x, verbose=0)


def train_briefly(block, images, labels, epochs):
    pooled = layers.GlobalAveragePooling2D()(block.output)
    prediction = layers.Dense(10, activation="softmax")(pooled)
    classifier = keras.Model(block.input, prediction)
    classifier.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="sparse_categorical_crossentropy",
    )
    history = classifier.fit(images, labels, epochs=epochs, batch_size=16, verbose=2)
    return history.history["loss"][-1]


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--num-samples", type=flags.positive_int, help="random images")
    parser.add_argument("--image-size", type=flags.positive_int, help="even input height and width")
    args = flags.parse(parser, argv)
    if args.image_size % 2:
        raise UserError(
            f"--image-size {args.image_size} is odd", "give an even size (the pooling halves it)"
        )
    return args


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Residual connections: identity and projected", BOOK)

    # Data: random feature maps, 128 channels for the identity block, 64 for the projected one
    rng = np.random.default_rng(args.seed)
    size, n = args.image_size, args.num_samples
    x128 = rng.standard_normal((n, size, size, 128)).astype("float32")
    x64 = rng.standard_normal((n, size, size, 64)).astype("float32")
    labels = rng.integers(0, 10, n)

    # Model
    identity, projected = build_blocks(size)
    identity.summary()
    projected.summary()
    plotted = [graphs.plot_model(identity, run.path("_identity_model.png"))]
    plotted.append(graphs.plot_model(projected, run.path("_projected_model.png")))
    for graph in plotted:
        if graph:
            run.add_figure(graph)

    # What the shortcuts carry: with the conv branch zeroed, identity -> x, projected -> 1x1(x)
    sample = x128[:4]
    identity_exact = np.array_equal(zero_branch_output(identity, sample), sample)
    kernel, bias = projected.get_layer("projection").get_weights()
    projection = np.einsum("nhwc,cd->nhwd", x64[:4, ::2, ::2, :], kernel[0, 0]) + bias
    projection_exact = np.allclose(zero_branch_output(projected, x64[:4]), projection, atol=1e-4)
    id_shape, proj_shape = tuple(identity.output.shape[1:]), tuple(projected.output.shape[1:])
    print(f"identity block {id_shape}, projected block {proj_shape}")
    print(
        f"zeroed branch: identity returns x: {identity_exact}; projected returns 1x1(x): "
        f"{projection_exact}"
    )

    # Train each block briefly on random data
    identity_loss = train_briefly(identity, x128, labels, args.epochs)
    projected_loss = train_briefly(projected, x64, labels, args.epochs)

    return run.finish(
        {
            "identity_output_shape": str(id_shape),
            "projected_output_shape": str(proj_shape),
            "identity_input_shape": str(tuple(identity.input.shape[1:])),
            "projected_input_shape": str(tuple(projected.input.shape[1:])),
            "identity_shortcut_exact": "yes" if identity_exact else "no",
            "projection_shortcut_exact": "yes" if projection_exact else "no",
            "identity_final_loss": identity_loss,
            "projected_final_loss": projected_loss,
            "model_graph": [g.name for g in plotted if g] or "not plotted (pydot/Graphviz missing)",
        }
    )


if __name__ == "__main__":
    flags.run(main)
