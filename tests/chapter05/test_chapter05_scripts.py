"""Chapter 5 as a whole: every script stands alone (no other chapter's module, no pyplot) and has
its own test file here, tests/chapter05/test_<script>.py."""

import ast

import pytest
from support import REPO_ROOT

SCRIPTS = sorted(p for p in (REPO_ROOT / "chapter05").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_scripts_import_no_other_chapter_module(script):
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{script.name}: relative import"
            imported.append(node.module)
    chapters = [name for name in imported if name.startswith("chapter")]
    assert not chapters, f"{script.name} imports {chapters}"
    text = script.read_text(encoding="utf-8")
    assert "matplotlib.use" not in text and "pyplot" not in text


def test_every_script_has_its_test_file():
    """Each test file checks its script's BOOK numbers against the notebook, its full-profile
    model, and what its run hands to Keras."""
    here = REPO_ROOT / "tests" / "chapter05"
    missing = [p.stem for p in SCRIPTS if not (here / f"test_{p.stem}.py").is_file()]
    assert not missing
