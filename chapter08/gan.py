"""A deep convolutional GAN that learns to draw CIFAR-10 frogs.

Deep Learning with Python, section 8.5 (notebook 8.5). The generator maps a 32-d latent vector to a
32x32 RGB image (Dense -> 16x16x128 -> Conv2D, a stride-2 Conv2DTranspose, Conv2Ds, tanh output);
the discriminator (four Conv2Ds, Dropout(0.4), Dense(1, sigmoid)) gives the probability that an
image is *generated*; `gan` chains them with the discriminator frozen. Each step, as in the book:
train D on fakes (label 1) and real frogs (label 0) with label noise, then G through `gan` on new
latent points labelled "real". RMSprop with clipvalue=1.0 and the book's learning-rate decay; a grid
of frogs from 25 fixed latent points every `save_every` steps (results/chapter08/gan_step<N>.png).

Book (notebook 8.5): generator Total params 6,264,579 (cell 5), discriminator 790,913 (cell 7);
10,000 steps of batch 20 on the 5,000 frogs in [0, 1] (cell 11); losses near 0.69 (D, median
0.693) and 0.76 (adversarial, median), the last (step 9900) 0.669288 and 0.677691. `full` is that
run (`--pixels unit`); `quick` is 1,000 steps of narrower networks on frogs in [-1, 1]: blurry
blobs in frog colours. Same settings, not the same random draws: the losses are comparable only.

Run:  python chapter08/gan.py [--profile smoke|quick|full] [--steps N] [--pixels unit|tanh]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import math

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure

from dlwp import flags, results
from dlwp.data import cifar10
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {
        "steps": 3,
        "gen_width": 8,
        "disc_width": 8,
        "save_every": 2,
        "max_images": 100,
        "pixels": "tanh",
    },
    # quick: a full-width step takes seconds on 2 CPU cores, a quick one ~0.16 s
    "quick": {
        "steps": 1000,
        "gen_width": 32,
        "disc_width": 64,
        "save_every": 100,
        "max_images": None,
        "pixels": "tanh",
    },
    "full": {  # notebook 8.5: widths of cells 5 and 7; steps, print interval, scaling of cell 11
        "steps": 10000,
        "gen_width": 256,
        "disc_width": 128,
        "save_every": 100,
        "max_images": None,
        "pixels": "unit",
    },
}
# Notebook 8.5, cell 11: the losses printed at steps 0, 100, ..., 9900 (8 a line).
BOOK_D_LOSSES = [
    0.685675, 0.756201, 0.699047, 0.684602, 0.707092, 0.686278, 0.692786, 0.69771,
    0.69236, 0.663193, 0.706922, 0.682189, 0.687244, 0.697884, 0.691977, 0.696238,
    0.698334, 0.70315, 0.693836, 0.69059, 0.696293, 0.686166, 0.692612, 0.704013,
    0.693268, 0.684289, 0.700483, 0.699952, 0.697416, 0.697604, 0.698498, 0.695516,
    0.693453, 1.5083, 0.686934, 0.689791, 0.71331, 0.690504, 0.688844, 0.679162,
    0.676585, 0.693313, 0.678367, 0.699712, 0.697605, 0.710596, 0.706518, 0.687217,
    0.769103, 0.692414, 0.715357, 0.703434, 0.704034, 0.698559, 0.684378, 0.693699,
    0.715242, 0.689339, 0.679717, 0.700126, 0.692087, 0.677867, 0.70392, 0.688377,
    0.781234, 0.682696, 0.693081, 0.681836, 0.728136, 0.660475, 0.672144, 0.692428,
    0.731133, 0.671766, 0.712387, 0.68638, 0.690096, 0.702784, 0.674138, 0.674747,
    0.680357, 0.688885, 0.671557, 0.70359, 0.720167, 0.747376, 0.688931, 0.707559,
    0.673593, 0.6777, 0.659887, 0.675182, 0.687147, 0.690807, 0.656649, 0.703494,
    0.680718, 0.704956, 0.673504, 0.669288,
]  # fmt: skip
BOOK_A_LOSSES = [
    0.667591, 0.820905, 0.776581, 0.513813, 0.716778, 0.741214, 0.745891, 0.781026,
    0.748769, 0.689923, 0.741314, 0.76548, 0.746018, 0.766032, 0.735184, 0.738426,
    0.741093, 0.736702, 0.742768, 0.741162, 0.755151, 0.755129, 0.772408, 0.776998,
    0.70731, 0.742162, 0.734719, 0.759745, 0.733726, 0.740891, 0.754564, 0.759486,
    0.769369, 0.726621, 0.747121, 0.751882, 0.704916, 0.853764, 0.791077, 0.724979,
    0.69554, 0.742666, 0.778793, 0.740457, 0.755847, 0.814832, 0.83636, 0.775736,
    0.774639, 0.775192, 0.775003, 0.940242, 0.708327, 0.730377, 0.759259, 0.700122,
    0.808961, 0.621725, 0.787711, 0.742493, 0.839669, 0.797158, 0.842135, 0.718633,
    0.710833, 0.739674, 0.747336, 0.780143, 0.838522, 0.717434, 0.948783, 0.837047,
    0.728315, 0.793155, 0.807759, 0.967421, 0.811904, 0.867017, 0.837909, 0.743664,
    0.810859, 0.786809, 0.784159, 0.95692, 1.14066, 0.630725, 0.849245, 0.713202,
    0.832419, 0.773395, 0.77255, 0.749544, 0.836509, 0.829561, 0.788181, 0.78302,
    0.813078, 0.761652, 0.853213, 0.677691,
]  # fmt: skip
BOOK = {
    "d_loss_last_100_mean": None,  # the notebook printed one loss every 100 steps, no mean
    "a_loss_last_100_mean": None,
    "losses_finite_throughout": True,  # cell 11: the 200 printed losses are all finite
    "steps_done": 10000,  # cell 11: `iterations = 10000`, printed up to step 9900
    "d_loss_every_save": BOOK_D_LOSSES,  # cell 11, steps 0, 100, ..., 9900
    "a_loss_every_save": BOOK_A_LOSSES,
}
# --pixels: the frogs' range. tanh (quick, smoke; our choice, the usual DCGAN practice) is the
# generator's output range, which the book's [0, 1] leaves half unused
PIXELS = {"unit": (0.0, 1.0), "tanh": (-1.0, 1.0)}
LATENT_DIM = 32
HEIGHT = WIDTH = 32
CHANNELS = 3
BATCH_SIZE = 20


def build_generator(width=256, latent_dim=LATENT_DIM):
    generator_input = keras.Input(shape=(latent_dim,))
    # First, transform the input into a 16x16 128-channel feature map
    x = layers.Dense(128 * 16 * 16)(generator_input)
    x = layers.LeakyReLU()(x)  # negative slope 0.3: Keras' default, then and now
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
    # The book's RMSprop(lr=0.0008, clipvalue=1.0, decay=1e-8): lr / (1 + 1e-8 * iterations).
    # Keras 3 has no `decay`: the same formula as a schedule, each optimizer counting its own steps
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.0008, decay_steps=1, decay_rate=1e-8)
    optimizer = keras.optimizers.RMSprop(
        learning_rate=schedule, clipvalue=1.0, epsilon=KERAS2_RMSPROP_EPSILON
    )
    discriminator.compile(optimizer=optimizer, loss="binary_crossentropy")
    return discriminator


def build_gan(generator, discriminator, latent_dim=LATENT_DIM):
    """The generator followed by the frozen discriminator (compile `discriminator` first)."""
    discriminator.trainable = False  # only in the gan model
    gan_input = keras.Input(shape=(latent_dim,))
    gan = keras.Model(gan_input, discriminator(generator(gan_input)), name="gan")
    # The book's RMSprop(lr=0.0004, clipvalue=1.0, decay=1e-8)
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.0004, decay_steps=1, decay_rate=1e-8)
    optimizer = keras.optimizers.RMSprop(
        learning_rate=schedule, clipvalue=1.0, epsilon=KERAS2_RMSPROP_EPSILON
    )
    gan.compile(optimizer=optimizer, loss="binary_crossentropy")
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
    # set before each half-step: Keras 3 reads `trainable` when a model's train function is
    # first traced, not when it is compiled as Keras 2 did
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


def image_grid(images, rows, cols, pixels="tanh"):
    """(n, h, w, 3) images in [-1, 1] (`pixels="tanh"`) or [0, 1] ("unit") -> one uint8
    (rows*h, cols*w, 3) grid."""
    low, high = PIXELS[pixels]
    images = (np.asarray(images[: rows * cols]) - low) * (255.0 / (high - low))
    images = np.clip(images, 0, 255).astype("uint8")
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
    parser.add_argument(
        "--pixels",
        choices=tuple(PIXELS),
        help="frogs in [0, 1] (unit, the book's) or [-1, 1] (tanh, the generator's range)",
    )
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)  # latent points and label noise
    run = results.Run(__file__, args, "DCGAN on CIFAR-10 frogs", BOOK)

    # Data: the training frogs, scaled to [0, 1] as the book does (--pixels unit) or to the
    # generator's [-1, 1] (--pixels tanh)
    x_train = cifar10.load_frogs(args.folders)[: args.max_images]
    if args.pixels == "unit":
        x_train = x_train.astype("float32") / 255.0
    else:
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
        # NaN guard (ours): changes nothing while the losses stay finite, as the book's did
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
            # the book saved one generated and one real frog (and the GAN's weights) every 100 steps
            grid = image_grid(generator.predict_on_batch(fixed_latent), 5, 5, args.pixels)
            last_grid = run.path(f"_step{step}.png")
            keras.utils.save_img(last_grid, grid, scale=False)

    # Visualize
    if last_grid is not None:
        run.add_figure(last_grid)
    run.save_figure(plot_losses(d_losses, a_losses), "_losses.png")
    real_grid = run.path("_real.png")
    keras.utils.save_img(real_grid, image_grid(x_train[:25], 5, 5, args.pixels), scale=False)
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
