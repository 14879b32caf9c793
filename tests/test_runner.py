"""run_all.py: every exercise in its own process; crashes and hangs never stop or erase others."""

import json

import pytest

import run_all
from dlwp import results
from dlwp.catalogue import Exercise

OK = """
import json, sys, pathlib
out = pathlib.Path(sys.argv[sys.argv.index("--output-dir") + 1]) / "chapter02"
out.mkdir(parents=True, exist_ok=True)
(out / "ok.json").write_text(json.dumps({"exercise": "chapter02/ok", "metrics": {"score": 0.5},
    "book": {"score": 0.4}, "profile": "quick", "data": [], "seconds": 1.0}))
"""
CRASH = "raise RuntimeError('kaboom')\n"
USER_ERROR = "import sys\nsys.exit('error: datasets/foo.npz not found in /nowhere')\n"
HANG = "import time\ntime.sleep(600)\n"


@pytest.fixture
def fake_repo(tmp_path, monkeypatch):
    (tmp_path / "chapter02").mkdir()
    scripts = {"ok": OK, "crash": CRASH, "usererr": USER_ERROR, "hang": HANG}
    for name, code in scripts.items():
        (tmp_path / "chapter02" / f"{name}.py").write_text(code)
    catalogue = tuple(Exercise(f"chapter02/{n}.py") for n in scripts) + (
        Exercise("chapter02/not_written.py"),
    )
    monkeypatch.setattr(run_all, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(run_all, "CATALOGUE", catalogue)
    monkeypatch.setattr(results, "CATALOGUE", catalogue)
    return tmp_path


def test_runner_survives_crash_and_hang_and_keeps_old_rows(fake_repo, capsys):
    res = fake_repo / "results"
    # an earlier good result of the exercise that now crashes must survive
    (res / "chapter02").mkdir(parents=True)
    (res / "chapter02" / "crash.json").write_text(
        json.dumps(
            {
                "exercise": "chapter02/crash",
                "metrics": {"score": 0.77},
                "book": {"score": None},
                "profile": "quick",
                "data": [],
                "seconds": 2.0,
            }
        )
    )
    md = fake_repo / "RESULTS.md"
    rc = run_all.main(["--results-dir", str(res), "--results-md", str(md), "--timeout", "3"])
    assert rc == 1
    out = capsys.readouterr().out
    assert "ok " in out and "timeout" in out and "failed" in out and "missing" in out
    text = md.read_text()
    assert "| [ok](chapter02/ok.py) | score | 0.5 | 0.4 |" in text
    assert "0.77" in text and "a later run failed: RuntimeError: kaboom" in text
    assert "not measured: datasets/foo.npz not found in /nowhere" in text
    assert "not measured: timed out after 3 s" in text
    assert "not measured: not run yet" in text  # not_written.py
    hang = json.loads((res / "chapter02" / "hang.error.json").read_text())
    assert hang["status"] == "timeout"


def test_runner_selection_and_bad_flags(fake_repo, capsys):
    res = fake_repo / "results"
    rc = run_all.main(
        ["--only", "ok", "--results-dir", str(res), "--results-md", str(fake_repo / "R.md")]
    )
    assert rc == 0
    assert (res / "chapter02" / "ok.json").exists() and not (
        res / "chapter02" / "crash.log"
    ).exists()
    with pytest.raises(SystemExit) as exc:
        run_all.main(["--only", "nope"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        run_all.main(["--chapter", "4"])
    assert "no such chapter" in capsys.readouterr().err


def test_runner_lists_the_real_catalogue(capsys):
    assert run_all.main(["--list", "--chapter", "3"]) == 0
    assert capsys.readouterr().out.split() == [
        "chapter03/imdb_binary_classification.py",
        "chapter03/reuters_newswires.py",
        "chapter03/boston_housing_kfold.py",
    ]


def test_runner_end_to_end_on_real_scripts(tiny_data, tmp_path):
    """Two real scripts through the runner on tiny data: JSON written, smoke kept out of RESULTS."""
    res, md = tmp_path / "results", tmp_path / "RESULTS.md"
    rc = run_all.main(
        [
            "--profile",
            "smoke",
            "--only",
            "naive_tensor_ops",
            "--only",
            "display_digit",
            "--data-dir",
            str(tiny_data),
            "--results-dir",
            str(res),
            "--results-md",
            str(md),
        ]
    )
    assert rc == 0
    assert (res / "chapter02" / "display_digit.json").exists()
    assert (res / "chapter02" / "display_digit.png").exists()
    assert "not measured: not run yet" in md.read_text()  # smoke runs never land
