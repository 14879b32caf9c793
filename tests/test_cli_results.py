"""The run contract: flags, clear errors, results JSON and RESULTS.md rendering."""

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, smoke_args

from chapter02 import display_digit, mnist_first_network
from dlwp import UserError, results


def test_bad_flag_exits_2_with_one_clear_line(capsys):
    with pytest.raises(SystemExit) as exc:
        mnist_first_network.main(["--profile", "huge"])
    assert exc.value.code == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err


def test_epochs_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        mnist_first_network.main(["--epochs", "0"])
    assert "expected a positive integer, got 0" in capsys.readouterr().err


def test_help_lists_the_profiles(capsys):
    with pytest.raises(SystemExit) as exc:
        mnist_first_network.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--profile" in out and "quick" in out and "Book: test accuracy 0.9777" in out


def test_epochs_flag_beats_profile(tiny_data, out_dir):
    result = mnist_first_network.main(smoke_args(tiny_data, out_dir, "--epochs", "2"))
    assert len(result["metrics"]["train_accuracy_per_epoch"]) == 2
    assert result["settings"]["epochs"] == 2


def test_unwritable_output_dir(tiny_data, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(UserError, match="cannot write to the output folder .*--output-dir"):
        display_digit.main(smoke_args(tiny_data, blocker / "results"))


def test_missing_data_from_the_shell_is_one_line_no_traceback(tmp_path):
    if (REPO_ROOT / "data" / "datasets" / "boston_housing.npz").exists():
        pytest.skip("data/ holds boston_housing.npz, so it would not be missing")
    env = dict(os.environ, DLWP_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("DLWP_DATA_DIR", None)
    proc = subprocess.run(
        [
            sys.executable,
            "chapter03/boston_housing_kfold.py",
            "--data-dir",
            str(tmp_path),
            "--output-dir",
            str(tmp_path / "out"),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    error_lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(error_lines) == 1 and "boston_housing.npz not found" in error_lines[0]


def _fake_result(results_dir, name, profile="quick", kind="real", metrics=None, book=None):
    chapter, stem = name.split("/")
    path = results_dir / chapter / f"{stem}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "exercise": name,
        "title": stem,
        "metrics": metrics or {"test_accuracy": 0.9812},
        "book": book or {"test_accuracy": 0.9777},
        "profile": profile,
        "settings": {"epochs": 5},
        "seconds": 12.3,
        "figures": [f"{chapter}/{stem}.png"],
        "data": [{"file": "/x/datasets/mnist.npz", "what": "MNIST", "kind": kind}],
        "versions": {"python": "3.11", "tensorflow": "2.21.0", "keras": "3.15.1"},
    }
    path.write_text(json.dumps(data))
    return path


def test_render_shows_real_runs_next_to_the_book(tmp_path):
    res = tmp_path / "results"
    _fake_result(res, "chapter02/mnist_first_network")
    text = results.render(res, tmp_path)
    row = next(ln for ln in text.splitlines() if "[mnist_first_network]" in ln)
    assert "| test_accuracy | 0.9812 | 0.9777 | quick, 5 epochs | 12 s | mnist.npz |" in row
    assert "![mnist_first_network](results/chapter02/mnist_first_network.png)" in text
    assert "not measured: not run yet" in text  # the exercises without results


def test_render_never_shows_smoke_or_made_for_tests_runs(tmp_path):
    res = tmp_path / "results"
    _fake_result(
        res, "chapter02/mnist_first_network", profile="smoke", metrics={"test_accuracy": 0.1111}
    )
    _fake_result(
        res, "chapter02/display_digit", kind="made-for-tests", metrics={"test_accuracy": 0.2222}
    )
    text = results.render(res, tmp_path)
    assert "0.1111" not in text and "0.2222" not in text


def test_render_keeps_a_result_when_a_later_run_failed(tmp_path):
    res = tmp_path / "results"
    _fake_result(res, "chapter02/mnist_first_network")
    err = res / "chapter02" / "mnist_first_network.error.json"
    err.write_text(json.dumps({"error": "error: boom"}))
    os.utime(err, (os.path.getmtime(err) + 10,) * 2)
    text = results.render(res, tmp_path)
    row = next(ln for ln in text.splitlines() if "[mnist_first_network]" in ln)
    assert "0.9812" in row and "a later run failed: boom" in row


def test_write_results_md_is_atomic_and_complete(tmp_path):
    res = tmp_path / "results"
    _fake_result(res, "chapter02/mnist_first_network")
    target = tmp_path / "RESULTS.md"
    target.write_text("old")
    results.write_results_md(res, target)
    assert target.read_text().startswith("# Results")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
