"""An Inception module: four parallel branches concatenated on channels (functional API).

Deep Learning with Python, section 7.1.4 ("Inception modules"). From one 4-D input four branches
run in parallel: a 1x1 conv; 1x1 -> 3x3 conv; 3x3 average pooling -> 3x3 conv; 1x1 -> 3x3 -> 3x3
conv. Each ends with 128 channels at half the input's size (strides 2), and `concatenate(axis=-1)`
stacks them into one (h/2, w/2, 512) tensor. The book only builds the module; here it is also
trained briefly on seeded random images (pooling + softmax head), to check that every branch's
first layer gets gradients. Every conv uses `padding="same"`, which the book's listing leaves out.

Book: no numbers printed; with a (32, 32, 3) input the code gives (16, 16, 512).

Run:  python chapter07/inception_module.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers

from dlwp import flags, graphs, results
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "num_samples": 32, "image_size": 16},
    "quick": {"epochs": 2, "num_samples": 256, "image_size": 32},
    "full": {"epochs": 10, "num_samples": 1000, "image_size": 32},  # the book does not train it
}
BOOK = {"output_shape": "(16, 16, 512)", "branches_trained": "a, b, c, d"}


def inception_module(x):
    """The book's four branches on `x`, concatenated along the channel axis."""
    # padding="same" throughout: the book's listing has none, so its branches end at 16, 15, 13
    # and 14 for a 32x32 input and the concatenation fails; "same" lines them up as the text says
    branch_a = layers.Conv2D(128, 1, activation="relu", strides=2, name="branch_a")(x)

    branch_b = layers.Conv2D(128, 1, activation="relu", name="branch_b_1x1")(x)
    branch_b = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_b)

    branch_c = layers.AveragePooling2D(3, strides=2, padding="same", name="branch_c_pool")(x)
    branch_c = layers.Conv2D(128, 3, activation="relu", padding="same", name="branch_c")(branch_c)

    branch_d = layers.Conv2D(128, 1, activation="relu", name="branch_d_1x1")(x)
    branch_d = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_d)
    branch_d = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_d)

    return layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1)


def build_model(image_size, num_classes=10):
    """The module on an (image_size, image_size, 3) input; returns (module, classifier)."""
    x = keras.Input(shape=(image_size, image_size, 3))
    output = inception_module(x)
    module = keras.Model(x, output, name="inception_module")
    pooled = layers.GlobalAveragePooling2D()(output)
    prediction = layers.Dense(num_classes, activation="softmax")(pooled)
    classifier = keras.Model(x, prediction, name="inception_classifier")
    classifier.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="sparse_categorical_crossentropy",
    )
    return module, classifier


def branch_first_weights(model):
    """The kernel of each branch's first trainable layer (branch c: the conv after the pooling)."""
    names = {"a": "branch_a", "b": "branch_b_1x1", "c": "branch_c", "d": "branch_d_1x1"}
    return {k: model.get_layer(n).get_weights()[0].copy() for k, n in names.items()}


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--num-samples", type=flags.positive_int, help="random images")
    parser.add_argument("--image-size", type=flags.positive_int, help="input height and width")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Inception module (random data)", BOOK)

    # Data: random images and labels
    rng = np.random.default_rng(args.seed)
    size = args.image_size
    images = rng.random((args.num_samples, size, size, 3), dtype="float32")
    labels = rng.integers(0, 10, args.num_samples)

    # Model
    module, classifier = build_model(size)
    module.summary()
    graph = graphs.plot_model(module, run.path("_model.png"))
    if graph:
        run.add_figure(graph)
    out_shape = tuple(module.output.shape[1:])
    computed = module.predict(images[:2], verbose=0).shape[1:]

    # Train briefly: every branch must receive gradients
    before = branch_first_weights(module)
    history = classifier.fit(images, labels, epochs=args.epochs, batch_size=32, verbose=2)
    after = branch_first_weights(module)
    trained = [k for k in before if not np.array_equal(before[k], after[k])]
    print(f"output shape {out_shape}; branches whose weights changed: {trained}")

    return run.finish(
        {
            "output_shape": str(out_shape),
            "input_shape": str((size, size, 3)),
            "computed_shape_matches": tuple(computed) == out_shape,
            "branch_output_shapes": [str(tuple(t.shape[1:])) for t in module.layers[-1].input],
            "branches_trained": ", ".join(trained),
            "final_loss": history.history["loss"][-1],
            "parameters": module.count_params(),
            "model_graph": graph.name if graph else "not plotted (pydot/Graphviz missing)",
        }
    )


if __name__ == "__main__":
    flags.run(main)
