"""Chapter 8 as a whole: scripts stand alone, and BOOK values are numbers the notebooks printed."""

import ast

from support import REPO_ROOT

from chapter08 import (
    char_lstm_generation,
    deep_dream,
    gan,
    neural_style_transfer,
    text_sampling,
    vae,
)


def test_scripts_import_no_other_chapter():
    for script in sorted((REPO_ROOT / "chapter08").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0 and not node.module.startswith("chapter"), script.name
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("chapter") for a in node.names), script.name


def test_book_values_are_printed_numbers_or_none():
    """Every BOOK value is a number the notebook printed (cited in the script) or None; no
    paraphrase like "~0.69" (the network's name aside)."""
    for module in (
        text_sampling,
        char_lstm_generation,
        deep_dream,
        neural_style_transfer,
        vae,
        gan,
    ):
        for key, value in module.BOOK.items():
            if key != "base":
                assert value is None or isinstance(value, int | float | list), (module, key)
