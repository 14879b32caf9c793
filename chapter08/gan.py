"""A deep convolutional GAN that learns to draw CIFAR-10 frogs.

Deep Learning with Python, section 8.5. The generator maps a 32-d latent vector to a 32x32 RGB
image: Dense(128*16*16) -> Reshape(16, 16, 128) -> Conv2D 5x5 -> Conv2DTranspose 4x4 stride 2 (up to
32x32) -> two Conv2D 5x5 -> Conv2D(3, 7x7, tanh), LeakyReLU everywhere (the book's `LeakyReLU()`:
negative slope 0.3, Keras' default then and now). The discriminator maps an image to the
probability that it is *generated*: Conv2D 3x3 then three 4x4 stride-2 Conv2Ds with LeakyReLU,
Flatten, Dropout(0.4), Dense(1, sigmoid). The `gan` model chains generator and
discriminator with the discriminator frozen. The book's loop, per step: generate a batch of fakes,
train the discriminator on fakes (label 1) and real frogs (label 0) with random label noise
(+0.05 * U[0, 1)); then train the generator through `gan` on new latent points labelled "real"
(0), i.e. to fool the frozen discriminator. A grid of generated frogs is saved every
`save_every` steps (`results/chapter08/gan_step<N>.png`, the last one in RESULTS.md).
NaN guard: training stops at the first non-finite loss and the results say so.

Book: 10,000 steps of batch 20 on the 5,000 training frogs; 256 filters in every generator and
128 in every discriminator convolution; RMSprop(0.0008) for D and (0.0004) for the GAN, both
clipvalue=1.0; d_loss settles around 0.69 (the discriminator cannot tell real from fake).
`quick`: 1,000 steps with 32 generator and 64 discriminator filters (`--gen-width`,
`--disc-width`): on 2 CPU cores a full-width step takes seconds, a quick one ~0.16 s; its frogs
are blurry blobs in frog colours, not the book's 10,000-step frogs.

Ported: `RMSprop(lr=..., clipvalue=1.0, decay=1e-8)` -> `RMSprop(learning_rate=..., clipvalue=1.0)`
(Keras 3 has no `decay`; 1e-8 per step is negligible); `discriminator.trainable = False` before
compiling `gan` -> the same, plus setting it explicitly before each half-step, because Keras 3
reads `trainable` when a model's train function is first traced rather than at compile time;
`image.array_to_img(...).save` -> `keras.utils.save_img`. The book scales the frogs to [0, 1] while
the generator ends in tanh; we scale to [-1, 1], the generator's range.

Run:  python chapter08/gan.py [--profile smoke|quick|full] [--steps N]
"""

import math

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure

from dlwp import flags, results
from dlwp.data import cifar10

PROFILES = {
    "smoke": {"steps": 3, "gen_width": 8, "disc_width": 8, "save_every": 2, "max_images": 100},
    "quick": {
        "steps": 1000,
        "gen_width": 32,
        "disc_width": 64,
        "save_every": 100,
        "max_images": None,
    },
    "full": {
        "steps": 10000,
        "gen_width": 256,
        "disc_width": 128,
        "save_every": 100,
        "max_images": None,
    },
}
BOOK = {
    "d_loss_last_100_mean": "~0.69",
    "a_loss_last_100_mean": None,
    "losses_finite_throughout": True,
    "steps_done": 10000,
}
LATENT_DIM = 32
HEIGHT = WIDTH = 32
CHANNELS = 3
BATCH_SIZE = 20


def build_generator(width=256, latent_dim=LATENT_DIM):
    generator_input = keras.Input(shape=(latent_dim,))
    # First, transform the input into a 16x16 128-channel feature map
    x = layers.Dense(128 * 16 * 16)(generator_input)
    x = layers.LeakyReLU()(x)
    x = layers.Reshape((16, 16, 128))(x)
    x = layers.Conv2D(width, 5, padding="same")(x)
    x = layers.LeakyReLU()(x)
    # Then, upsample to 32x32
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same")(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(width, 5, padding="same")(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(width, 5, padding="same")(x)
    x = layers.LeakyReLU()(x)
    # Produce a 32x32 3-channel feature map in [-1, 1]
    x = layers.Conv2D(CHANNELS, 7, activation="tanh", padding="same")(x)
    return keras.Model(generator_input, x, name="generator")


def build_discriminator(width=128):
    discriminator_input = keras.Input(shape=(HEIGHT, WIDTH, CHANNELS))
    x = layers.Conv2D(width, 3)(discriminator_input)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(width, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(width, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(width, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)  # one dropout layer: an important trick
    x = layers.Dense(1, activation="sigmoid")(x)  # classification layer
    discriminator = keras.Model(discriminator_input, x, name="discriminator")
    optimizer = keras.optimizers.RMSprop(learning_rate=0.0008, clipvalue=1.0)
    discriminator.compile(optimizer=optimizer, loss="binary_crossentropy")
    return discriminator


def build_gan(generator, discriminator, latent_dim=LATENT_DIM):
    """The generator followed by the frozen discriminator (compile `discriminator` first)."""
    discriminator.trainable = False  # only in the gan model
    gan_input = keras.Input(shape=(latent_dim,))
    gan = keras.Model(gan_input, discriminator(generator(gan_input)), name="gan")
    gan.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.0004, clipvalue=1.0),
        loss="binary_crossentropy",
    )
    return gan


def train_discriminator(generator, discriminator, real_images, rng, latent_dim=LATENT_DIM):
    """Train D on generated images (label 1) and real ones (label 0), labels with noise."""
    batch_size = len(real_images)
    # Decode random points of the latent space into fake images
    random_latent_vectors = rng.normal(size=(batch_size, latent_dim)).astype("float32")
    generated_images = generator.predict_on_batch(random_latent_vectors)
    combined_images = np.concatenate([generated_images, real_images])
    labels = np.concatenate([np.ones((batch_size, 1)), np.zeros((batch_size, 1))])
    labels = (labels + 0.05 * rng.random(labels.shape)).astype("float32")  # an important trick
    discriminator.trainable = True
    return float(discriminator.train_on_batch(combined_images, labels))


def train_generator(discriminator, gan, batch_size, rng, latent_dim=LATENT_DIM):
    """Train G through `gan` (D frozen) to make D say "real" (0) for new latent points."""
    random_latent_vectors = rng.normal(size=(batch_size, latent_dim)).astype("float32")
    misleading_targets = np.zeros((batch_size, 1), dtype="float32")
    discriminator.trainable = False
    return float(gan.train_on_batch(random_latent_vectors, misleading_targets))


def train_step(generator, discriminator, gan, real_images, rng, latent_dim=LATENT_DIM):
    """One step of the book's loop: D, then G; returns (d_loss, a_loss)."""
    d_loss = train_discriminator(generator, discriminator, real_images, rng, latent_dim)
    a_loss = train_generator(discriminator, gan, len(real_images), rng, latent_dim)
    return d_loss, a_loss


def image_grid(images, rows, cols):
    """(n, h, w, 3) images in [-1, 1] -> one uint8 (rows*h, cols*w, 3) grid."""
    images = np.clip((np.asarray(images[: rows * cols]) + 1) * 127.5, 0, 255).astype("uint8")
    n, h, w, c = images.shape
    return (
        images.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)
    )


def plot_losses(d_losses, a_losses):
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    ax.plot(d_losses, label="discriminator loss", alpha=0.7)
    ax.plot(a_losses, label="adversarial (generator) loss", alpha=0.7)
    ax.set(title="GAN losses per step", xlabel="step", ylabel="binary crossentropy")
    ax.legend()
    return fig


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--steps", type=flags.positive_int, help="training steps (batches)")
    parser.add_argument("--gen-width", type=flags.positive_int, help="generator conv filters")
    parser.add_argument("--disc-width", type=flags.positive_int, help="discriminator conv filters")
    parser.add_argument("--save-every", type=flags.positive_int, help="steps between image grids")
    parser.add_argument("--max-images", type=flags.positive_int, help="use only the first N frogs")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)  # latent points and label noise
    run = results.Run(__file__, args, "DCGAN on CIFAR-10 frogs", BOOK)

    # Data: the training frogs, scaled to the generator's [-1, 1]
    x_train = cifar10.load_frogs(args.data)[: args.max_images]
    x_train = x_train.astype("float32") / 127.5 - 1.0
    print("frogs:", x_train.shape)

    # Model
    generator = build_generator(args.gen_width)
    discriminator = build_discriminator(args.disc_width)
    generator.summary()
    discriminator.summary()
    gan = build_gan(generator, discriminator)

    # Train
    fixed_latent = rng.normal(size=(25, LATENT_DIM)).astype("float32")  # the same frogs each time
    d_losses, a_losses, stopped, start, last_grid = [], [], None, 0, None
    for step in range(args.steps):
        real_images = x_train[start : start + BATCH_SIZE]
        d_loss, a_loss = train_step(generator, discriminator, gan, real_images, rng)
        d_losses.append(d_loss)
        a_losses.append(a_loss)
        if not (math.isfinite(d_loss) and math.isfinite(a_loss)):
            stopped = f"non-finite loss at step {step}: d_loss={d_loss}, a_loss={a_loss}"
            print("stopping:", stopped)
            break
        start += BATCH_SIZE
        if start > len(x_train) - BATCH_SIZE:
            start = 0
        if step % args.save_every == 0 or step == args.steps - 1:
            print(
                f"step {step}: discriminator loss {d_loss:.4f}, adversarial loss {a_loss:.4f}",
                flush=True,
            )
            grid = image_grid(generator.predict_on_batch(fixed_latent), 5, 5)
            last_grid = run.path(f"_step{step}.png")
            keras.utils.save_img(last_grid, grid, scale=False)

    # Visualize
    if last_grid is not None:
        run.add_figure(last_grid)
    run.save_figure(plot_losses(d_losses, a_losses), "_losses.png")
    real_grid = run.path("_real.png")
    keras.utils.save_img(real_grid, image_grid(x_train[:25], 5, 5), scale=False)
    run.add_figure(real_grid)

    tail = slice(-100, None)
    return run.finish(
        {
            "d_loss_last_100_mean": float(np.mean(d_losses[tail])),
            "a_loss_last_100_mean": float(np.mean(a_losses[tail])),
            "losses_finite_throughout": stopped is None,
            "steps_done": len(d_losses),
            "stopped": stopped,
            "d_loss_every_save": d_losses[:: args.save_every],
            "a_loss_every_save": a_losses[:: args.save_every],
        }
    )


if __name__ == "__main__":
    flags.run(main)
