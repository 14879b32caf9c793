"""The shape of the collection: standalone scripts on a layered dlwp, a complete catalogue, and
published files that name no path of the machine that wrote them."""

import ast
import re

import pytest
from support import REPO_ROOT

from catalogue import CATALOGUE

SCRIPTS = sorted(REPO_ROOT.glob("chapter0*/*.py"))
SCRIPTS = [p for p in SCRIPTS if p.name != "__init__.py"]
DLWP = sorted((REPO_ROOT / "dlwp").rglob("*.py"))


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_script_imports_only_libraries_and_dlwp(script):
    bad = [m for m in imported_modules(script) if m.startswith(".") or re.match(r"chapter\d", m)]
    assert not bad, f"{script.name} imports {bad}: an exercise imports only libraries and dlwp"


def test_dlwp_imports_no_chapter_and_names_none():
    for path in DLWP:
        mods = list(imported_modules(path))
        assert not [m for m in mods if re.match(r"chapter\d", m)], path
        assert not re.search(r"chapter0\d/", path.read_text(encoding="utf-8")), (
            f"{path} names a chapter script: dlwp is the ground floor"
        )


def test_dlwp_modules_are_small():
    sizes = {p.relative_to(REPO_ROOT).as_posix(): len(p.read_text().splitlines()) for p in DLWP}
    assert max(sizes.values()) <= 400, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


def test_the_catalogue_and_the_scripts_agree():
    catalogued = {ex.script for ex in CATALOGUE}
    on_disk = {p.relative_to(REPO_ROOT).as_posix() for p in SCRIPTS}
    assert on_disk - catalogued == set(), "scripts the runner never runs"
    assert catalogued - on_disk == set(), "catalogue entries without a script"


def test_no_script_chooses_a_matplotlib_backend():
    for path in SCRIPTS + DLWP:
        text = path.read_text(encoding="utf-8")
        assert "matplotlib.use(" not in text and "matplotlib.pyplot" not in text, path


def test_every_script_seeds_visibly_and_runs_through_flags_run():
    for path in SCRIPTS:
        text = path.read_text(encoding="utf-8")
        assert 'if __name__ == "__main__":\n    flags.run(main)' in text, path
        if "import keras" in text:  # a Keras script seeds Python, NumPy and the backend
            assert "keras.utils.set_random_seed(args.seed)" in text, path


def test_every_rmsprop_takes_the_books_epsilon():
    """Keras 3's default RMSprop steps up to ~30,000x smaller than the book's where gradients are
    tiny (dlwp.optimizers): neither the "rmsprop" string nor an RMSprop without the epsilon."""
    for path in SCRIPTS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and str(node.value).lower() == "rmsprop":
                pytest.fail(f'{path.name}: optimizer="rmsprop" takes Keras 3\'s epsilon')
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "RMSprop":
                epsilon = {k.arg: k.value for k in node.keywords}.get("epsilon")
                assert getattr(epsilon, "id", None) == "KERAS2_RMSPROP_EPSILON", (
                    f"{path.name}:{node.lineno}: RMSprop without epsilon=KERAS2_RMSPROP_EPSILON"
                )


MACHINE_PATH = re.compile(r"(?<![\w.])/(work|tmp|home|root|Users|var|opt|mnt)/")


def test_published_files_name_no_path_of_this_machine():
    published = [REPO_ROOT / "RESULTS.md", REPO_ROOT / "README.md"]
    published += sorted((REPO_ROOT / "results").rglob("*.json"))
    hits = [
        p.relative_to(REPO_ROOT).as_posix()
        for p in published
        if MACHINE_PATH.search(p.read_text(encoding="utf-8", errors="replace"))
    ]
    assert hits == []


def test_smoke_outputs_and_staging_folders_are_ignored_by_git():
    import shutil
    import subprocess

    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = [
        "results/chapter02/mnist_first_network.smoke.json",
        "results/chapter03/imdb_binary_classification.smoke_curves.png",
        "results/chapter05/models/dogs_vs_cats_from_scratch.smoke.keras",
        "results/chapter08/.vae.staging-123/vae_latent.png",
    ]
    out = subprocess.run(["git", "check-ignore", "--no-index", *names], cwd=REPO_ROOT,
                         capture_output=True, text=True)  # fmt: skip
    assert out.stdout.split() == names
    published = "results/chapter02/display_digit.png"
    kept = subprocess.run(["git", "check-ignore", "--no-index", published], cwd=REPO_ROOT,
                          capture_output=True, text=True)  # fmt: skip
    assert kept.returncode == 1  # a quick run's figure is published


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_help_is_short(script, capsys):
    """--help: the docstring's first paragraph, the profiles and the flags, about a screen."""
    import importlib

    module = importlib.import_module(f"{script.parent.name}.{script.stem}")
    with pytest.raises(SystemExit) as exc:
        module.main(["--help"])
    assert exc.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) <= 40, f"{script.name} --help is {len(lines)} lines"


def test_file_helpers_come_from_dlwp_files_not_the_data_layer():
    """atomic writes, locks and the repository root live in dlwp.files: the results, report
    and flags layers do not reach into dlwp.data for them."""
    helpers = {"atomic_write", "cache_lock", "REPO_ROOT"}
    for path in [*REPO_ROOT.glob("dlwp/*.py"), REPO_ROOT / "run_all.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dlwp.data"):
                assert not helpers & {a.name for a in node.names}, f"{path.name}: {node.module}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_a_scripts_header_is_short(script):
    """A learner's first screen is the exercise: a docstring of at most 20 lines (what it shows,
    the book's numbers, how to run it); porting notes sit beside the lines they explain."""
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    assert len(doc.splitlines()) <= 20, f"{script.name}: {len(doc.splitlines())} lines"
    assert "Keras 2 ->" not in doc and "Keras 2 →" not in doc, f"{script.name}: porting notes"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_a_keras_script_imports_dlwp_quiet_first(script):
    """`import dlwp.quiet` before anything that loads TensorFlow: a run starts with Keras'
    own output, not TensorFlow's C++ startup lines."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in imports if isinstance(n, ast.Import) for a in n.names]
    modules = names + [n.module for n in imports if isinstance(n, ast.ImportFrom)]
    if not {"keras", "tensorflow"} & {(m or "").split(".")[0] for m in modules}:
        return
    first = next(n for n in imports if not getattr(n, "module", None) == "__future__")
    assert isinstance(first, ast.Import) and first.names[0].name == "dlwp.quiet", script.name
