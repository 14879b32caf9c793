"""Nietzsche: datasets/nietzsche.txt, a short text in its style."""

from __future__ import annotations

from pathlib import Path

import numpy as np

WORDS = (
    "Supposing that Truth is a woman--what then? Is there not ground for suspecting that all "
    "philosophers, in so far as they have been dogmatists, have failed to understand women."
).split()


def tiny_text(n_words=700, seed=0) -> str:
    """The sentence's words in a seeded random order: no period, so that (almost) every 60-character
    window is unique and a wrong slice of the text shows; upper case too, for the lower-casing."""
    return " ".join(np.random.default_rng(seed).choice(WORDS, n_words)) + "\n"


TINY_TEXT = tiny_text()  # ~4,400 characters


def write_nietzsche(root: Path, text: str = TINY_TEXT) -> Path:
    path = root / "datasets" / "nietzsche.txt"
    path.write_text(text, encoding="utf-8")
    return path
