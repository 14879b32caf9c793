"""A variational autoencoder (VAE) on MNIST with a 2-D latent space.

Deep Learning with Python, section 8.4 (notebook 8.4). A convolutional encoder maps a digit to the
mean and log-variance of a 2-D Gaussian; the `Sampling` layer draws z with the reparameterization
trick, the book's z = z_mean + exp(z_log_var) * epsilon (cell 11), and a decoder maps z back to an
image. The `VAELoss` layer adds the book's loss (mean per-pixel binary crossentropy + 5e-4 x the KL
term, cell 15) with `add_loss`, so the model trains on x alone. A 15x15 grid of latent points is
decoded into the manifold of digits (results/chapter08/vae_manifold.png). `--sampling standard`
uses exp(z_log_var / 2), the textbook VAE's, for which the book's KL term is the true one.

Book (notebook 8.4, cell 17): 10 epochs, batch 16, RMSprop; Total params 550,629; validation loss
0.1966 after epoch 1, 0.1801 after epoch 10; training loss 0.2109 in epoch 1. `full` is that run,
`quick` 1 epoch. Our training loss is the training set's loss evaluated after each epoch, not Keras'
mean of the epoch's batch losses (which one early spike can inflate; kept as epoch_mean_loss_...).

Run:  python chapter08/vae.py [--profile smoke|quick|full] [--epochs N] [--sampling standard]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers, ops
from matplotlib.figure import Figure
from scipy.stats import norm

from dlwp import flags, results
from dlwp.data import mnist
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

# quick: ~2 minutes on 2 CPU cores (validation loss ~0.20 with the standard sampling)
PROFILES = {
    "smoke": {"epochs": 1, "batch_size": 16, "train_samples": 256, "test_samples": 64, "n": 5},
    "quick": {"epochs": 1, "batch_size": 16, "train_samples": None, "test_samples": None, "n": 15},
    "full": {"epochs": 10, "batch_size": 16, "train_samples": None, "test_samples": None, "n": 15},
}
BOOK = {  # notebook 8.4, cell 17: the `Epoch k/10` lines
    "val_loss": 0.1801,  # epoch 10
    "val_loss_per_epoch": [
        0.1966, 0.1899, 0.1862, 0.1851, 0.1830, 0.1816, 0.1813, 0.1827, 0.1806, 0.1801,
    ],
    # The book's training loss per epoch, compared with ours evaluated on the training images
    # after each epoch (`TrainingSetLoss`): Keras' epoch mean of the batch losses can be dominated
    # by one early spike (~1e5 in one batch of thousands near 0.2), which the book's run did not
    # have; the evaluated loss is on the book's scale. The raw epoch mean is
    # kept as `epoch_mean_loss_per_epoch`.
    "loss_per_epoch": [
        0.2109, 0.1933, 0.1886, 0.1858, 0.1840, 0.1827, 0.1816, 0.1807, 0.1800, 0.1794,
    ],
}  # fmt: skip
SAMPLINGS = ("book", "standard")
IMG_SHAPE = (28, 28, 1)
LATENT_DIM = 2
KL_WEIGHT = 5e-4


class Sampling(layers.Layer):
    """The reparameterization trick: z = z_mean + exp(z_log_var) * epsilon (the book's), or
    z = z_mean + exp(z_log_var / 2) * epsilon (`sampling="standard"`)."""

    def __init__(self, seed=None, sampling="book", **kwargs):
        super().__init__(**kwargs)
        if sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}, not {sampling!r}")
        self.sampling = sampling
        # the book's Lambda(sampling) drew with K.random_normal: a seeded generator here
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        # the book's sampling has a standard deviation of exp(z_log_var), while its KL term is that
        # of a variance of exp(z_log_var): another objective than the textbook VAE's ("standard")
        if self.sampling == "book":
            return z_mean + ops.exp(z_log_var) * epsilon
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def vae_loss_terms(x, z_decoded, z_mean, z_log_var, kl_weight=KL_WEIGHT):
    """(reconstruction, kl): mean per-pixel binary crossentropy, and the weighted KL divergence."""
    # the book's K.flatten + keras.metrics.binary_crossentropy: the same mean over all pixels
    x = ops.reshape(x, (-1,))
    z_decoded = ops.reshape(z_decoded, (-1,))
    xent_loss = ops.mean(ops.binary_crossentropy(x, z_decoded))
    kl_loss = -kl_weight * ops.mean(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
    return xent_loss, kl_loss


class VAELoss(layers.Layer):
    """Adds the VAE loss (reconstruction + KL) with `self.add_loss`; passes its input through."""

    # the book's CustomVariationalLayer, with z_mean and z_log_var as inputs instead of read from
    # the enclosing scope
    def __init__(self, kl_weight=KL_WEIGHT, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = kl_weight

    def call(self, inputs):
        x, z_decoded, z_mean, z_log_var = inputs
        xent_loss, kl_loss = vae_loss_terms(x, z_decoded, z_mean, z_log_var, self.kl_weight)
        self.add_loss(xent_loss + kl_loss)
        return x  # the output is not used


class TrainingSetLoss(keras.callbacks.Callback):
    """After each epoch, the loss on the training images (`x`) with the epoch's final weights,
    added to the logs as `training_set_loss` (so the History has it too).

    Why: the `loss` Keras logs is the mean of the epoch's batch losses. One early batch can reach
    ~1e5 while thousands of others are near 0.2 (a large z_log_var early in training makes the
    KL term's exp(z_log_var) huge), and that single spike made a quick run's epoch-1 mean 135.2
    beside the book's 0.2109: a number that says nothing about the model the epoch ends with.
    The evaluated loss does, on the book's scale. The Sampling layers' random state is put back
    after evaluating, so training draws the same epsilons as without this callback."""

    def __init__(self, x, batch_size=256):
        super().__init__()
        self.x = x
        self.batch_size = batch_size

    def on_epoch_end(self, epoch, logs=None):
        samplers = [layer for layer in self.model.layers if isinstance(layer, Sampling)]
        states = [np.array(layer.seed_generator.state) for layer in samplers]
        loss = self.model.evaluate(self.x, batch_size=self.batch_size, verbose=0)
        for layer, state in zip(samplers, states, strict=True):
            layer.seed_generator.state.assign(state)
        if logs is not None:
            logs["training_set_loss"] = float(loss)


def build_encoder():
    input_img = keras.Input(shape=IMG_SHAPE)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(input_img)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", strides=(2, 2))(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(x)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var")(x)
    return keras.Model(input_img, [z_mean, z_log_var], name="encoder")


def build_decoder():
    decoder_input = keras.Input(shape=(LATENT_DIM,))
    x = layers.Dense(14 * 14 * 64, activation="relu")(decoder_input)
    x = layers.Reshape((14, 14, 64))(x)
    x = layers.Conv2DTranspose(32, 3, padding="same", activation="relu", strides=(2, 2))(x)
    x = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(decoder_input, x, name="decoder")


def build_vae(seed=None, sampling="book"):
    """(vae, encoder, decoder): the VAE trains with loss=None, its loss coming from VAELoss."""
    encoder, decoder = build_encoder(), build_decoder()
    input_img = keras.Input(shape=IMG_SHAPE)
    z_mean, z_log_var = encoder(input_img)
    z = Sampling(seed=seed, sampling=sampling)([z_mean, z_log_var])
    z_decoded = decoder(z)
    y = VAELoss()([input_img, z_decoded, z_mean, z_log_var])
    vae = keras.Model(input_img, y, name="vae")
    vae.compile(optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON), loss=None)
    return vae, encoder, decoder


def decode_manifold(decoder, n=15, digit_size=28):
    """Decode an n x n grid of latent points at Gaussian quantiles 0.05 ... 0.95 into one image."""
    grid_x = norm.ppf(np.linspace(0.05, 0.95, n))
    grid_y = norm.ppf(np.linspace(0.05, 0.95, n))
    z = np.array([[xi, yi] for yi in grid_x for xi in grid_y], dtype="float32")
    # one predict for all points (the book decoded each tiled to a batch of 16: the same images)
    digits = decoder.predict(z, batch_size=n * n, verbose=0).reshape(n, n, digit_size, digit_size)
    return digits.transpose(0, 2, 1, 3).reshape(n * digit_size, n * digit_size)


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--batch-size", type=flags.positive_int)
    parser.add_argument(
        "--sampling",
        choices=SAMPLINGS,
        default="book",
        help="book: z_mean + exp(z_log_var) * eps (default); standard: exp(z_log_var / 2)",
    )
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Variational autoencoder, MNIST, 2-D latent space", BOOK)

    # Data
    (x_train, _), (x_test, _) = mnist.load_data(args.folders)
    x_train = x_train[: args.train_samples].astype("float32") / 255.0
    x_test = x_test[: args.test_samples].astype("float32") / 255.0
    x_train = x_train.reshape(x_train.shape + (1,))
    x_test = x_test.reshape(x_test.shape + (1,))

    # Model
    vae, encoder, decoder = build_vae(seed=args.seed, sampling=args.sampling)
    vae.summary()

    # Train: no targets, the loss is the model's own
    history = vae.fit(
        x=x_train,
        y=None,
        shuffle=True,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_data=(x_test, None),
        callbacks=[TrainingSetLoss(x_train)],
        verbose=2,
    )

    # Visualize the latent manifold
    figure = decode_manifold(decoder, args.n)
    fig = Figure(figsize=(10, 10))
    ax = fig.subplots()
    ax.imshow(figure, cmap="Greys_r")
    ax.set_axis_off()
    ax.set_title(f"Digits decoded from a {args.n}x{args.n} grid of the 2-D latent space")
    run.save_figure(fig, "_manifold.png")

    z_mean, z_log_var = encoder.predict(x_test, batch_size=256, verbose=0)
    xent, kl = vae_loss_terms(
        x_test[:1000], decoder.predict(z_mean[:1000], verbose=0), z_mean[:1000], z_log_var[:1000]
    )
    h = history.history
    return run.finish(
        {
            "val_loss": h["val_loss"][-1],
            "val_loss_per_epoch": h["val_loss"],
            # compared with the book's: the training set's loss after each epoch (see
            # TrainingSetLoss); Keras' epoch mean of the batch losses kept beside it
            "loss_per_epoch": h["training_set_loss"],
            "epoch_mean_loss_per_epoch": h["loss"],
            "test_reconstruction_at_mean": float(xent),
            "test_kl_term": float(kl),
            "latent_mean_std": np.asarray(z_mean).std(axis=0).tolist(),
        },
        notes={
            "loss_per_epoch": "the training set's loss after each epoch; Keras' epoch mean "
            f"({h['loss'][0]:.4g} in epoch 1) averages in early batch spikes"
        },
    )


if __name__ == "__main__":
    flags.run(main)
