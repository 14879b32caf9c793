"""The run contract: flags, clear errors, results JSON and RESULTS.md rendering."""

import json
import os
import subprocess
import sys

import pytest
from support import REPO_ROOT, smoke_args

from catalogue import CATALOGUE, CHAPTER_TITLES
from chapter02 import display_digit, mnist_first_network
from dlwp import report
from dlwp.errors import UserError


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
    assert "--profile" in out and "quick" in out
    assert "A first look at a neural network: MNIST with two Dense layers." in out
    assert "Book:" not in out  # the docstring's first paragraph only


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
    env = dict(os.environ, DLWP_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="3")
    env["DLWP_CACHE_DIR"] = str(tmp_path / "cache")
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
        "data": [{"file": "datasets/mnist.npz", "what": "MNIST", "kind": kind}],
        "versions": {"python": "3.11", "tensorflow": "2.21.0", "keras": "3.15.1"},
    }
    path.write_text(json.dumps(data))
    return path


def render(res):
    return report.render(res, CATALOGUE, CHAPTER_TITLES)


def test_render_shows_real_runs_next_to_the_book(tmp_path):
    res = tmp_path / "results"
    _fake_result(res, "chapter02/mnist_first_network")
    text = render(res)
    row = next(ln for ln in text.splitlines() if "[mnist_first_network]" in ln)
    assert "| test_accuracy | 0.9812 | 0.9777 | quick, 5 epochs | 12 s | mnist.npz |" in row
    assert "![mnist_first_network](results/chapter02/mnist_first_network.png)" in text
    assert "not measured: not run yet" in text  # the exercises without results


def test_a_note_says_what_a_metric_is_in_its_row(tmp_path):
    res = tmp_path / "results"
    _fake_result(res, "chapter02/mnist_first_network")
    path = res / "chapter02" / "mnist_first_network.json"
    result = json.loads(path.read_text())
    path.write_text(json.dumps({**result, "notes": {"test_accuracy": "on the test split"}}))
    row = next(ln for ln in render(res).splitlines() if "[mnist_first_network]" in ln)
    assert "| test_accuracy (on the test split) | 0.9812 | 0.9777 |" in row


def test_render_never_shows_smoke_or_made_for_tests_runs(tmp_path):
    res = tmp_path / "results"
    _fake_result(
        res, "chapter02/mnist_first_network", profile="smoke", metrics={"test_accuracy": 0.1111}
    )
    _fake_result(
        res, "chapter02/display_digit", kind="made-for-tests", metrics={"test_accuracy": 0.2222}
    )
    text = render(res)
    assert "0.1111" not in text and "0.2222" not in text


def test_render_keeps_a_result_when_a_later_run_failed(tmp_path):
    res = tmp_path / "results"
    _fake_result(res, "chapter02/mnist_first_network")
    err = res / "chapter02" / "mnist_first_network.error.json"
    err.write_text(json.dumps({"error": {"kind": "failed", "problem": "boom"}}))
    os.utime(err, (os.path.getmtime(err) + 10,) * 2)
    text = render(res)
    row = next(ln for ln in text.splitlines() if "[mnist_first_network]" in ln)
    assert "0.9812" in row and "a later run failed: boom" in row


def test_write_results_md_is_atomic_and_complete(tmp_path):
    res = tmp_path / "results"
    _fake_result(res, "chapter02/mnist_first_network")
    target = tmp_path / "RESULTS.md"
    target.write_text("old")
    report.write_results_md(res, target, CATALOGUE, CHAPTER_TITLES)
    assert target.read_text().startswith("# Results")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_read_only_output_dir_is_refused_even_as_root(tiny_data, tmp_path):
    ro = tmp_path / "ro"
    (ro / "chapter02").mkdir(parents=True)
    (ro / "chapter02").chmod(0o555)
    try:
        with pytest.raises(UserError, match="cannot write to the output folder"):
            display_digit.main(smoke_args(tiny_data, ro))
    finally:
        (ro / "chapter02").chmod(0o755)


def test_output_dir_naming_a_file_is_one_line(tiny_data, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(UserError, match="--output-dir .*a_file is a file"):
        display_digit.main(smoke_args(tiny_data, blocker))


def test_results_json_names_no_path_of_this_machine(tiny_data, out_dir):
    result = display_digit.main(smoke_args(tiny_data, out_dir))
    text = (out_dir / "chapter02" / "display_digit.smoke.json").read_text()
    assert str(tiny_data) not in text and str(out_dir) not in text
    assert result["figures"] == ["chapter02/display_digit.smoke.png"]
    assert result["data"][0]["file"] == "datasets/mnist.npz"
    assert "--data-dir" not in result["command"] and "--profile smoke" in result["command"]


def test_a_smoke_run_never_replaces_the_quick_result(tiny_data, out_dir):
    quick = out_dir / "chapter02" / "display_digit.json"
    quick.parent.mkdir(parents=True)
    quick.write_text('{"profile": "quick"}')
    display_digit.main(smoke_args(tiny_data, out_dir))
    assert quick.read_text() == '{"profile": "quick"}'


def test_flags_run_stores_the_error_fields_for_the_runner(tmp_path, monkeypatch, capsys):
    from dlwp import flags

    target = tmp_path / "fields.json"
    monkeypatch.setenv("DLWP_ERROR_JSON", str(target))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit) as exc:
        flags.run(display_digit.main, ["--data-dir", str(empty), "--output-dir", str(tmp_path)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: datasets/mnist.npz not found")
    fields = json.loads(target.read_text())
    assert fields["kind"] == "missing input" and fields["files"] == ["datasets/mnist.npz"]
    assert str(empty) not in target.read_text()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "expected a positive integer, got 0"),
        (["--epochs", "-1"], "expected a positive integer, got -1"),
        (["--epochs", "abc"], "expected a positive integer, got 'abc'"),
        (["--seed", "abc"], "--seed: expected an integer, got 'abc'"),
        (["--profile", "turbo"], "invalid choice: 'turbo'"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_bad_flags_are_one_line_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        mnist_first_network.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_run_that_fails_on_its_data_leaves_no_output_folder(empty_data, tmp_path):
    out = tmp_path / "new_results"
    with pytest.raises(UserError):
        display_digit.main(smoke_args(empty_data, out))
    assert not out.exists()
