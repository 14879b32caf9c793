"""Chapter 8, the GAN (notebook 8.5): the discriminator trained on CIFAR-10's frogs (label 6,
read here from the official tarball) against generated images with the book's noisy labels, the
generator through the frozen discriminator with "real" labels; the book's settings."""

import io
import math
import pickle
import tarfile

import fakedata
import keras
import numpy as np
import pytest
from ch08_helpers import compiled, inputs, specs
from PIL import Image
from support import smoke_args

from chapter08 import gan
from dlwp.data import cifar10
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData


def folders(root) -> DataFolders:
    return DataFolders.resolve(root)


@pytest.fixture(scope="module")
def cifar_tar(tmp_path_factory):
    """(data folder with only cifar-10-python.tar.gz, its 60 frogs in order): 12 frogs among 16
    images per batch, the others of class 1."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("cifar_tar"))
    tar = root / "datasets" / "cifar-10-python.tar.gz"
    frogs = fakedata.write_cifar10_tar(tar, frogs_per_batch=12, others_per_batch=4)
    return root, frogs


@pytest.fixture(scope="module")
def frogs_npz(tmp_path_factory):
    root = fakedata.new_data_root(tmp_path_factory.mktemp("cifar_npz"))
    fakedata.write_cifar10_frogs(root, n=60)
    return root


def test_gan_is_the_books_model():
    """Section 8.5 at the book's widths: LeakyReLU (slope 0.3) after every layer but the last,
    the 4x4 stride-2 Conv2DTranspose up to 32x32, RMSprop with clipvalue=1.0 and decay=1e-8 as
    an InverseTimeDecay schedule (notebook 8.5, cells 7 and 9)."""
    generator, discriminator = gan.build_generator(), gan.build_discriminator()
    assert inputs(generator) == [((None, 32), "float32")]
    assert specs(generator) == [
        "Dense(32768)",
        "LeakyReLU(0.3)",
        "Reshape((16, 16, 128))",
        "Conv2D(256, 5, padding=same)",
        "LeakyReLU(0.3)",
        "Conv2DTranspose(256, 4, strides=2, padding=same)",
        "LeakyReLU(0.3)",
        "Conv2D(256, 5, padding=same)",
        "LeakyReLU(0.3)",
        "Conv2D(256, 5, padding=same)",
        "LeakyReLU(0.3)",
        "Conv2D(3, 7, padding=same, tanh)",
    ]
    assert inputs(discriminator) == [((None, 32, 32, 3), "float32")]
    assert specs(discriminator) == [
        "Conv2D(128, 3)",
        "LeakyReLU(0.3)",
        "Conv2D(128, 4, strides=2)",
        "LeakyReLU(0.3)",
        "Conv2D(128, 4, strides=2)",
        "LeakyReLU(0.3)",
        "Conv2D(128, 4, strides=2)",
        "LeakyReLU(0.3)",
        "Flatten()",
        "Dropout(0.4)",
        "Dense(1, sigmoid)",
    ]
    # notebook 8.5, cell 5 (generator.summary()): "Total params: 6,264,579"; cell 7
    # (discriminator.summary()): "Total params: 790,913"
    assert generator.count_params() == 6264579 and discriminator.count_params() == 790913
    model = gan.build_gan(generator, discriminator)
    assert model.layers[1:] == [generator, discriminator] and not discriminator.trainable
    rms = {"clipvalue": 1.0, "loss": "binary_crossentropy"}
    decay = "decay_steps=1, decay_rate=1e-08"
    assert compiled(discriminator) == {
        "optimizer": f"RMSprop(InverseTimeDecay(0.0008, {decay}), epsilon=1e-16)",
        **rms,
    }
    assert compiled(model) == {
        "optimizer": f"RMSprop(InverseTimeDecay(0.0004, {decay}), epsilon=1e-16)",
        **rms,
    }


def test_gan_learning_rate_decays_as_keras_2s():
    """Keras 2.0.8's RMSprop(decay=1e-8) used lr / (1 + decay * iterations): the schedule gives
    the same rate at every step (each optimizer counting its own steps)."""
    optimizer = gan.build_discriminator(8).optimizer
    for step in (0, 1, 5000, 10**7):
        optimizer.iterations.assign(step)
        expected = 0.0008 / (1 + 1e-8 * step)
        assert math.isclose(float(optimizer.learning_rate), expected, rel_tol=1e-6)
    optimizer.iterations.assign(10**8)  # halved after 1e8 steps
    assert math.isclose(float(optimizer.learning_rate), 0.0004, rel_tol=1e-6)


def test_gan_full_profile_is_the_books_run():
    """Notebook 8.5, cell 11: 10,000 steps of batch 20, frogs scaled to [0, 1], losses printed
    every 100 steps (the BOOK lists: 100 values each, step 9900 last)."""
    full = gan.parse_args(["--profile", "full"])
    assert (full.steps, full.gen_width, full.disc_width) == (10000, 256, 128)
    assert (full.save_every, full.pixels, full.max_images, gan.BATCH_SIZE) == (
        100,
        "unit",
        None,
        20,
    )
    assert gan.parse_args(["--profile", "quick"]).pixels == "tanh"
    book = gan.BOOK
    assert len(book["d_loss_every_save"]) == len(book["a_loss_every_save"]) == 100
    assert book["d_loss_every_save"][0] == 0.685675 and book["a_loss_every_save"][0] == 0.667591
    assert book["d_loss_every_save"][-1] == 0.669288 and book["a_loss_every_save"][-1] == 0.677691


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def _changed(before, after):
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


def test_gan_steps_train_the_right_network():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    generator, discriminator = gan.build_generator(8), gan.build_discriminator(8)
    model = gan.build_gan(generator, discriminator)
    real = rng.uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    g0, d0 = _weights(generator), _weights(discriminator)
    d_loss = gan.train_discriminator(generator, discriminator, real, rng)
    g1, d1 = _weights(generator), _weights(discriminator)
    assert _changed(d0, d1) and not _changed(g0, g1) and math.isfinite(d_loss)
    a_loss = gan.train_generator(discriminator, model, 4, rng)
    g2, d2 = _weights(generator), _weights(discriminator)
    assert _changed(g1, g2) and not _changed(d1, d2) and math.isfinite(a_loss)
    gan.train_discriminator(generator, discriminator, real, rng)  # D trains again afterwards
    assert _changed(d2, _weights(discriminator))
    assert generator.output.shape == (None, 32, 32, 3)

    # the labels: D learns "generated" = 1, "real" = 0; G learns to make D say 0 for its images
    z = rng.normal(size=(16, gan.LATENT_DIM)).astype("float32")

    def d_real_and_fake():
        fake = generator.predict_on_batch(z)
        return np.mean(discriminator.predict_on_batch(real)), np.mean(
            discriminator.predict_on_batch(fake)
        )

    real0, _ = d_real_and_fake()
    for _ in range(5):
        gan.train_discriminator(generator, discriminator, real, rng)
    real1, fake1 = d_real_and_fake()
    assert real1 < real0 - 0.02 and real1 < fake1 - 0.05
    for _ in range(5):
        gan.train_generator(discriminator, model, 4, rng)
    real2, fake2 = d_real_and_fake()
    assert fake2 < fake1 and real2 == real1  # D frozen, G moved toward "real"


def test_image_grid():
    unit = np.zeros((25, 32, 32, 3))  # the book's [0, 1] frogs
    unit[7], unit[0, 0, 0] = 1.0, 0.5
    grid = gan.image_grid(unit, 5, 5, "unit")
    assert np.all(grid[32:64, 64:96] == 255) and np.sum(grid == 255) == 32 * 32 * 3
    assert grid[0, 0].tolist() == [127, 127, 127] and grid[0, 1].tolist() == [0, 0, 0]
    images = np.zeros((30, 32, 32, 3))
    grid = gan.image_grid(images, 5, 5)
    assert grid.shape == (160, 160, 3) and grid.dtype == np.uint8 and grid.max() == 127
    images[7] = 1.0  # the 8th image: row 1, column 2, white
    images[0, 0, 0] = -1.0  # the first pixel black
    grid = gan.image_grid(images, 5, 5)
    assert np.all(grid[32:64, 64:96] == 255) and np.sum(grid == 255) == 32 * 32 * 3
    assert grid[0, 0].tolist() == [0, 0, 0] and grid[0, 1].tolist() == [127, 127, 127]


@pytest.mark.parametrize("pixels", ["tanh", "unit"])
def test_gan_smoke(cifar_tar, out_dir, pixels, keras_calls):
    data, frogs = cifar_tar
    result = gan.main(smoke_args(data, out_dir, "--pixels", pixels))
    m = result["metrics"]
    # the real frogs' grid shows the frogs as they are, whatever their scaling
    real = np.asarray(Image.open(out_dir / "chapter08" / "gan.smoke_real.png"))
    assert real.shape == (160, 160, 3)
    assert np.abs(real.astype(int) - gan.image_grid(frogs[:25] / 255.0, 5, 5, "unit")).max() <= 1
    assert m["steps_done"] == 3
    assert math.isfinite(m["d_loss_last_100_mean"]) and math.isfinite(m["a_loss_last_100_mean"])
    assert result["figures"] == [
        "chapter08/gan.smoke_step2.png",
        "chapter08/gan.smoke_losses.png",
        "chapter08/gan.smoke_real.png",
    ]
    assert Image.open(out_dir / "chapter08" / "gan.smoke_step2.png").size == (160, 160)
    assert result["data"][0]["file"] == "datasets/cifar-10-python.tar.gz"

    # What reached train_on_batch, step by step: the discriminator gets 20 generated images
    # labelled 1 then 20 real frogs labelled 0 (each label + 0.05 x U[0, 1) noise, notebook 8.5
    # cell 11); the real ones are the frogs of the tarball read here, the next 20 each step,
    # scaled to [0, 1] (the book's, --pixels unit) or [-1, 1] (tanh). Then the gan model gets 20
    # latent points with the misleading label 0 ("real") for every one.
    scaled = frogs.astype("float32") / 255 if pixels == "unit" else frogs / 127.5 - 1
    d_steps = [c for c in keras_calls.of("train_on_batch") if c.model_name == "discriminator"]
    g_steps = [c for c in keras_calls.of("train_on_batch") if c.model_name == "gan"]
    assert len(d_steps) == len(g_steps) == 3
    for step, (d, g) in enumerate(zip(d_steps, g_steps, strict=True)):
        assert d.x.shape == (40, 32, 32, 3) and d.y.shape == (40, 1)
        assert np.allclose(d.x[20:], scaled[20 * step : 20 * step + 20], atol=1e-6)
        fake = d.x[:20]
        assert -1 <= fake.min() and fake.max() <= 1  # the generator's tanh
        assert not np.isin(
            fake.reshape(20, -1).sum(axis=1), scaled.reshape(60, -1).sum(axis=1)
        ).any()
        generated, real = d.y[:20, 0], d.y[20:, 0]
        assert np.all((1 <= generated) & (generated < 1.05)) and np.all((0 <= real) & (real < 0.05))
        noise = d.y[:, 0] - np.round(d.y[:, 0])
        assert noise.std() > 0.005 and len(np.unique(noise)) == 40  # drawn for every label
        assert g.x.shape == (20, gan.LATENT_DIM) and np.array_equal(g.y, np.zeros((20, 1)))
        assert abs(g.x.mean()) < 0.5 and 0.7 < g.x.std() < 1.3  # standard normal points
        assert d.learning_rate == pytest.approx(0.0008) and g.learning_rate == pytest.approx(0.0004)
    # new latent points for the gan step, not the ones of the discriminator's fakes
    assert not np.array_equal(g_steps[0].x, g_steps[1].x)


# ---- the CIFAR-10 frogs loader -----------------------------------------------------------------


def test_load_cifar10_frogs_from_npz(frogs_npz):
    x = cifar10.load_frogs(folders(frogs_npz))
    assert x.shape == (60, 32, 32, 3) and x.dtype == np.uint8
    assert np.array_equal(x, fakedata.cifar10.frogs(60))


def test_load_cifar10_frogs_from_the_official_tarball(tmp_path):
    root = fakedata.new_data_root(tmp_path / "tar")
    expected = fakedata.write_cifar10_tar(root / "datasets" / "cifar-10-python.tar.gz")
    data = folders(root)
    x = cifar10.load_frogs(data)
    assert x.shape == (15, 32, 32, 3) and np.array_equal(x, expected)
    assert data.read[-1]["what"].startswith("CIFAR-10 (frogs")
    assert data.read[-1]["file"] == "datasets/cifar-10-python.tar.gz"


def test_load_cifar10_frogs_errors(tmp_path, empty_data):
    with pytest.raises(MissingData) as exc:
        cifar10.load_frogs(folders(empty_data))
    assert "datasets/cifar-10-python.tar.gz" in exc.value.files
    assert "downloads are off" in exc.value.problem
    root = fakedata.new_data_root(tmp_path / "bad")
    np.savez(root / "datasets" / "cifar10_frogs.npz", x_train=np.zeros((4, 32, 32, 3), "float32"))
    with pytest.raises(BadData, match="dtype"):
        cifar10.load_frogs(folders(root))
    np.savez(root / "datasets" / "cifar10_frogs.npz", x_train=np.zeros((4, 3, 32, 32), "uint8"))
    with pytest.raises(BadData, match="shape"):
        cifar10.load_frogs(folders(root))
    np.savez(root / "datasets" / "cifar10_frogs.npz", images=np.zeros((4, 32, 32, 3), "uint8"))
    with pytest.raises(BadData, match="missing key"):
        cifar10.load_frogs(folders(root))
    tar_root = fakedata.new_data_root(tmp_path / "badtar")
    (tar_root / "datasets" / "cifar-10-python.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(BadData, match="not a readable CIFAR-10"):
        cifar10.load_frogs(folders(tar_root))
    evil = fakedata.new_data_root(tmp_path / "evil") / "datasets" / "cifar-10-python.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        blob = pickle.dumps({b"data": print})  # a global other than NumPy's: refused
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    with pytest.raises(BadData, match="forbidden"):
        cifar10.load_frogs(folders(evil.parent.parent))


@pytest.mark.realdata
def test_real_frogs(real_data):
    data = folders(real_data)
    frogs = cifar10.load_frogs(data)
    assert frogs.shape == (5000, 32, 32, 3) and frogs.dtype == np.uint8
    # Keras' cifar10 x_train[0] (a frog) starts [[59, 62, 63], [43, 46, 45], ...]
    assert frogs[0, 0, :2].tolist() == [[59, 62, 63], [43, 46, 45]]
    assert [d["kind"] for d in data.read] == ["real"]
