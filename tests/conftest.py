import os
from pathlib import Path

import fakedata
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _offline_and_headless(monkeypatch):
    # Tests never download: a missing file must fail fast and clearly.
    monkeypatch.setenv("DLWP_OFFLINE", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """A data folder with tiny MNIST, Boston, Reuters and raw-IMDB files in the real formats."""
    return fakedata.write_all_foundation(tmp_path_factory.mktemp("tiny_data"))


@pytest.fixture
def empty_data(tmp_path, monkeypatch) -> Path:
    """A data folder with nothing in it, and no repo data/ fallback either."""
    from dlwp import datasets

    root = tmp_path / "empty_data"
    root.mkdir()
    monkeypatch.setattr(datasets, "DEFAULT_DATA_DIR", tmp_path / "no_default_data")
    monkeypatch.delenv("DLWP_DATA_DIR", raising=False)
    return root


@pytest.fixture
def out_dir(tmp_path) -> Path:
    return tmp_path / "results"


def smoke_args(data_dir, out_dir, *extra) -> list[str]:
    return ["--profile", "smoke", "--data-dir", str(data_dir), "--output-dir", str(out_dir), *extra]


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real datasets (../shared/datasets here), or skip with the reason."""
    path = os.environ.get("DLWP_DATA_DIR")
    if not path:
        pytest.skip("real data: DLWP_DATA_DIR is not set (point it at ../shared/datasets)")
    root = Path(path)
    if not (root / "datasets" / "mnist.npz").exists():
        pytest.skip(f"real data: {root}/datasets/mnist.npz not found")
    return root
