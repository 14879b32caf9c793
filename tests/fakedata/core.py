from pathlib import Path

from dlwp.data.core import TEST_MARKER


def new_data_root(root: Path) -> Path:
    (root / "datasets").mkdir(parents=True, exist_ok=True)
    (root / "models").mkdir(exist_ok=True)
    (root / TEST_MARKER).write_text("made by tests/fakedata\n")
    return root
