"""Saved Keras models: loaded, or one clear line saying what is wrong and how to make one."""

from __future__ import annotations

from pathlib import Path

from dlwp.errors import BadData, UserError


def load_model(path, how_to_make: str):
    """`keras.models.load_model(path)`, or a UserError: not there (and `how_to_make` it), or not
    loadable (a text file, a truncated .keras, ...)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"no trained model at {path}", how_to_make, portable=f"no trained model {path.name}"
        )
    try:
        return keras.models.load_model(path)
    except Exception as exc:  # Keras raises many types for a bad file
        reason = (f"{type(exc).__name__}: {exc}".splitlines() or ["?"])[0][:200]
        raise BadData(path, f"not a loadable Keras model ({reason})", how_to_make) from None
