"""The Nietzsche corpus of the book's character-level LSTM (section 8.1)."""

from __future__ import annotations

from dlwp.data.core import DataFolders
from dlwp.data.formats import read_text

URL = "https://s3.amazonaws.com/text-datasets/nietzsche.txt"  # Keras publishes no hash


def load_text(data: DataFolders) -> str:
    path = data.fetch("datasets/nietzsche.txt", URL, None, "Nietzsche corpus")
    return read_text(path, data.name(path))
