"""GloVe word vectors (section 6.1.3): `glove.6B.100d.txt`, one member of an 822 MB zip."""

from __future__ import annotations

from pathlib import Path

from dlwp.data.core import DataFolders
from dlwp.errors import UserError

TXT = "datasets/glove.6B.100d.txt"
ZIP_URL = "https://nlp.stanford.edu/data/glove.6B.zip"


def find(data: DataFolders, path=None) -> Path:
    """`path` when given, else `datasets/glove.6B.100d.txt` in the data folders. Not
    downloaded (the zip is 822 MB): the error says where to get it."""
    if path:
        found = Path(path).expanduser()
        if not found.is_file():
            raise UserError(f"--glove {path}: no such file", "give the path to glove.6B.100d.txt")
    else:
        found = data.locate(TXT)
        if found is None:
            raise data.missing(
                TXT,
                ZIP_URL,
                fix=f"extract glove.6B.100d.txt from {ZIP_URL} (822 MB) into a data folder's "
                "datasets/, or pass --glove PATH",
            )
    data.record(found, "GloVe word vectors")
    return found.resolve()
