"""A first convnet: MNIST with Conv2D and MaxPooling2D layers.

Deep Learning with Python, section 5.1. Three Conv2D(3x3, relu) layers (32, 64, 64 filters) with
MaxPooling2D(2x2) between them, then Flatten -> Dense(64, relu) -> Dense(10, softmax): 93,322
parameters. The 28x28 images get a channel axis, (28, 28, 1), and are scaled to [0, 1]; rmsprop,
categorical crossentropy, 5 epochs, batches of 64 (cell 11), then the test set. Quick: 3 epochs.

Book: test accuracy 0.9913 (notebook 5.1 cell 14 prints 0.99129999999999996; the text says
99.3%); 93,322 parameters (cell 8; 55,744 of them in the convolutional part, cell 4).

Run:  python chapter05/mnist_convnet.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
from keras import layers

from dlwp import flags, results
from dlwp.data import mnist
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "train_samples": 512, "test_samples": 256},
    # quick: each epoch takes about half a minute on 2 CPU cores; three already pass 99%
    "quick": {"epochs": 3, "train_samples": None, "test_samples": None},
    "full": {"epochs": 5, "train_samples": None, "test_samples": None},
}
BOOK = {  # notebook 5.1
    "test_accuracy": 0.9913,  # cell 14: 0.99129999999999996
    "params": 93322,  # cell 8: Total params: 93,322
}


def build_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),  # Keras 2: input_shape=(28, 28, 1) on the first Conv2D
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--batch-size", type=flags.positive_int, default=64)  # cell 11
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "MNIST convnet (Conv2D + MaxPooling2D)", BOOK)

    # Data: the book's mnist.load_data(), the same arrays, read from the local file first
    (train_images, train_labels), (test_images, test_labels) = mnist.load_data(args.folders)
    train_images, train_labels = (
        train_images[: args.train_samples],
        train_labels[: args.train_samples],
    )
    test_images, test_labels = test_images[: args.test_samples], test_labels[: args.test_samples]
    train_images = train_images.reshape((len(train_images), 28, 28, 1)).astype("float32") / 255
    test_images = test_images.reshape((len(test_images), 28, 28, 1)).astype("float32") / 255
    train_labels = keras.utils.to_categorical(train_labels, 10)
    test_labels = keras.utils.to_categorical(test_labels, 10)

    # Model
    model = build_model()
    model.summary()

    # Train
    history = model.fit(
        train_images, train_labels, epochs=args.epochs, batch_size=args.batch_size, verbose=2
    )

    # Evaluate
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    return run.finish(
        {
            "test_accuracy": test_acc,
            "params": model.count_params(),
            "test_loss": test_loss,
            "train_accuracy_per_epoch": history.history["accuracy"],
        }
    )


if __name__ == "__main__":
    flags.run(main)
