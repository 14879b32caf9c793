"""A first look at a neural network: MNIST with two Dense layers.

Deep Learning with Python, section 2.1. Loads MNIST, flattens the 28x28 images into float32
vectors in [0, 1], one-hot encodes the labels, and trains Dense(512, relu) -> Dense(10, softmax)
with rmsprop and categorical crossentropy for 5 epochs (batch 128), then evaluates on the test set.

Book: test accuracy 0.9777 (the text says 97.8%).

Run:  python chapter02/mnist_first_network.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
from keras import layers

from dlwp import flags, results
from dlwp.data import mnist
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "train_samples": 512, "test_samples": 256},
    "quick": {"epochs": 5, "train_samples": None, "test_samples": None},  # cheap: same as full
    "full": {"epochs": 5, "train_samples": None, "test_samples": None},
}
BOOK = {"test_accuracy": 0.9777}  # 2.1 cell 24 prints test_acc: 0.9777 (the text says 97.8%)


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--batch-size", type=flags.positive_int, default=128)
    return flags.parse(parser, argv)


def build_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(28 * 28,)),
            layers.Dense(512, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "MNIST, Dense 512 + softmax", BOOK)

    # Data
    (train_images, train_labels), (test_images, test_labels) = mnist.load_data(args.folders)
    train_images, train_labels = (
        train_images[: args.train_samples],
        train_labels[: args.train_samples],
    )
    test_images, test_labels = test_images[: args.test_samples], test_labels[: args.test_samples]

    train_images = train_images.reshape((len(train_images), 28 * 28)).astype("float32") / 255
    test_images = test_images.reshape((len(test_images), 28 * 28)).astype("float32") / 255
    train_labels = keras.utils.to_categorical(train_labels, 10)
    test_labels = keras.utils.to_categorical(test_labels, 10)

    # Model
    network = build_model()

    # Train
    history = network.fit(
        train_images, train_labels, epochs=args.epochs, batch_size=args.batch_size, verbose=2
    )

    # Evaluate
    test_loss, test_acc = network.evaluate(test_images, test_labels, verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    return run.finish(
        {
            "test_accuracy": test_acc,
            "test_loss": test_loss,
            "train_accuracy_per_epoch": history.history["accuracy"],
        }
    )


if __name__ == "__main__":
    flags.run(main)
