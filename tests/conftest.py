import os
from pathlib import Path

import fakedata
import pytest
from support import KerasCalls

from dlwp.data.core import TEST_MARKER

REAL_DATA = os.environ.get("DLWP_DATA_DIR")  # read before any test changes the environment


@pytest.fixture(scope="session")
def test_cache(tmp_path_factory) -> Path:
    """One cache folder for the whole session (derived files are keyed, so they are shared)."""
    cache = tmp_path_factory.mktemp("cache")
    (cache / TEST_MARKER).write_text("cache of a test session\n")
    return cache


@pytest.fixture(autouse=True)
def _offline_headless_own_cache(monkeypatch, test_cache):
    # Tests never download (a missing file must fail fast and clearly), never write into the
    # repository's data/, and never read the real data unless they ask for `real_data`.
    monkeypatch.setenv("DLWP_OFFLINE", "1")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(test_cache))
    monkeypatch.delenv("DLWP_DATA_DIR", raising=False)
    monkeypatch.delenv("DLWP_ERROR_JSON", raising=False)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """A data folder with tiny MNIST, Boston, Reuters and raw-IMDB files in the real formats."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("tiny_data"))
    fakedata.write_mnist(root)
    fakedata.write_boston(root)
    fakedata.write_reuters(root)
    fakedata.write_imdb_raw(root)
    return root


@pytest.fixture(scope="session")
def ch5_data(tmp_path_factory) -> Path:
    """Chapter 5's photos: a tiny Kaggle-style folder (cat/dog.0-11.jpg, fakedata.dogs_vs_cats),
    the elephant JPEG and an ImageNet class index."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("ch5_data"))
    fakedata.write_dogs_vs_cats(root)
    fakedata.write_elephant(root)
    fakedata.write_class_index(root)
    return root


@pytest.fixture(scope="module")
def photos(request, ch5_data) -> dict:
    """Every photo of `ch5_data`'s folder, read at the test module's `SIZE`: {name: pixels}."""
    from support import read_photos

    folder = ch5_data / "datasets" / "dogs-vs-cats" / "train"
    return read_photos(sorted(folder.iterdir()), request.module.SIZE)


@pytest.fixture(scope="session")
def tiny_convnet(tmp_path_factory) -> Path:
    """The augmentation script's convnet at 48x48 (its smallest size), untrained, saved."""
    from chapter05 import dogs_vs_cats_augmentation

    path = tmp_path_factory.mktemp("models") / "tiny_convnet.keras"
    dogs_vs_cats_augmentation.build_model(48).save(path)
    return path


@pytest.fixture
def empty_data(tmp_path, monkeypatch) -> Path:
    """A data folder with nothing in it, and an empty cache."""
    root = tmp_path / "empty_data"
    root.mkdir()
    (tmp_path / "empty_cache").mkdir()
    monkeypatch.setenv("DLWP_CACHE_DIR", str(tmp_path / "empty_cache"))
    return root


@pytest.fixture
def out_dir(tmp_path) -> Path:
    return tmp_path / "results"


@pytest.fixture
def keras_calls(monkeypatch) -> KerasCalls:
    """What reaches Keras' fit/evaluate/predict (and *_on_batch) during the test, recorded."""
    return KerasCalls().install(monkeypatch)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real datasets (../shared/datasets here), or skip with the reason."""
    if not REAL_DATA:
        pytest.skip("real data: DLWP_DATA_DIR is not set (point it at ../shared/datasets)")
    root = Path(REAL_DATA)
    if not (root / "datasets" / "mnist.npz").exists():
        pytest.skip(f"real data: {root}/datasets/mnist.npz not found")
    return root
