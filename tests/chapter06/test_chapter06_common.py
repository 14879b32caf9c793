"""Chapter 6 as a whole: every script stands alone (imports only libraries and dlwp), trains the
model its pinned build_model makes, is listed in the catalogue in the book's order, and has its
own test file here."""

import ast
import importlib

import pytest
from ch06_helpers import assert_main_builds_with_build_model
from support import REPO_ROOT

from catalogue import CATALOGUE

SCRIPTS = sorted((REPO_ROOT / "chapter06").glob("[!_]*.py"))
# the scripts that build a model (each pins it in build_model); named once, imported here
MODEL_SCRIPTS = [
    importlib.import_module(f"chapter06.{name}")
    for name in (
        "bidirectional_lstm",
        "imdb_conv1d",
        "imdb_embedding",
        "imdb_glove",
        "imdb_lstm",
        "imdb_reversed_lstm",
        "imdb_simple_rnn",
        "jena_bidirectional_gru",
        "jena_conv1d",
        "jena_conv1d_gru",
        "jena_dense_baseline",
        "jena_gru",
        "jena_gru_dropout",
        "jena_reversed_gru",
        "jena_stacked_gru",
    )
]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_scripts_import_only_libraries_and_dlwp(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            assert not name.startswith("chapter"), f"{path.name} imports {name}"
            assert name.split(".")[0] != "matplotlib" or name == "matplotlib.figure", name


@pytest.mark.parametrize("script", MODEL_SCRIPTS, ids=lambda m: m.__name__.split(".")[-1])
def test_main_builds_its_model_with_build_model(script):
    assert_main_builds_with_build_model(script)


def test_every_model_script_is_checked_here():
    with_model = {p.stem for p in SCRIPTS if "def build_model" in p.read_text(encoding="utf-8")}
    assert with_model == {m.__name__.split(".")[-1] for m in MODEL_SCRIPTS}


def test_every_script_has_its_test_file():
    here = REPO_ROOT / "tests" / "chapter06"
    assert [p.stem for p in SCRIPTS if not (here / f"test_{p.stem}.py").is_file()] == []


def test_the_catalogue_lists_them_in_the_books_order():
    chapter6 = [ex.stem for ex in CATALOGUE if ex.chapter == "chapter06"]
    order = [
        "numpy_simple_rnn",
        "imdb_simple_rnn",
        "imdb_lstm",
        "jena_generator",
        "jena_dense_baseline",
        "jena_gru",
        "jena_gru_dropout",
        "jena_stacked_gru",
        "jena_reversed_gru",
        "imdb_reversed_lstm",
        "bidirectional_lstm",
        "jena_bidirectional_gru",
        "imdb_conv1d",
        "jena_conv1d",
        "jena_conv1d_gru",
    ]
    assert [s for s in chapter6 if s in order] == order
