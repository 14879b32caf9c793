"""Nietzsche: datasets/nietzsche.txt, a short text in its style."""

from __future__ import annotations

from pathlib import Path

TINY_TEXT = (
    "Supposing that Truth is a woman--what then? Is there not ground for suspecting that all "
    "philosophers, in so far as they have been dogmatists, have failed to understand women. "
) * 20


def write_nietzsche(root: Path, text: str = TINY_TEXT) -> Path:
    path = root / "datasets" / "nietzsche.txt"
    path.write_text(text, encoding="utf-8")
    return path
