"""run_all.py: every exercise in its own session; crashes and hangs never stop or erase others."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from support import REPO_ROOT

import run_all
from catalogue import Exercise, Variant
from dlwp import processes

OK = """
import json, sys, pathlib
out = pathlib.Path(sys.argv[sys.argv.index("--output-dir") + 1]) / "chapter02"
out.mkdir(parents=True, exist_ok=True)
(out / "ok.json").write_text(json.dumps({"exercise": "chapter02/ok", "metrics": {"score": 0.5},
    "book": {"score": 0.4}, "profile": "quick", "data": [], "seconds": 1.0}))
"""
CRASH = "raise RuntimeError('kaboom')\n"
MISSING = """
BOOK = {"score": 0.91, "printed_nothing": None}
import sys
from dlwp import flags
from dlwp.data.core import DataFolders
def main(argv=None):
    DataFolders.resolve(__file__.rsplit("/", 1)[0]).fetch("datasets/foo.npz")
flags.run(main)
"""
# Writes the command line it was given as its metrics, under its variant's name and profile.
ECHO = """
import json, sys, pathlib
argv = sys.argv[1:]
out = pathlib.Path(argv[argv.index("--output-dir") + 1]) / "chapter02"
out.mkdir(parents=True, exist_ok=True)
tag = argv[argv.index("--tag") + 1] if "--tag" in argv else None
profile = argv[argv.index("--profile") + 1]
name = "echo" + (f"@{tag}" if tag else "") + ("" if profile == "quick" else f".{profile}")
metrics = {"argv": argv, "cwd": str(pathlib.Path.cwd())}
(out / f"{name}.json").write_text(json.dumps({"metrics": metrics, "book": None,
                                              "profile": profile, "data": []}))
"""
BADDATA = """
from dlwp import flags
from dlwp.errors import BadData
def main(argv=None):
    raise BadData("/x/datasets/foo.npz", "malformed: 1 NaN", name="datasets/foo.npz")
flags.run(main)
"""
ECHO_VARIANTS = (Variant(), Variant("a", ("--tag", "a", "--x", "1")), Variant("b", ("--tag", "b")))
# A hang that also starts a grandchild in a session of its own: the runner must stop both.
HANG = """
import subprocess, sys, time, pathlib
out = pathlib.Path(sys.argv[sys.argv.index("--output-dir") + 1])
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                         start_new_session=False, process_group=0)
(out / "hang.pids").write_text(str(child.pid))
time.sleep(600)
"""


@pytest.fixture
def fake_repo(tmp_path):
    (tmp_path / "chapter02").mkdir()
    scripts = {"ok": OK, "crash": CRASH, "usererr": MISSING, "hang": HANG, "baddata": BADDATA}
    for name, code in {**scripts, "echo": ECHO}.items():
        (tmp_path / "chapter02" / f"{name}.py").write_text(code)
    catalogue = tuple(Exercise(f"chapter02/{n}.py") for n in scripts) + (
        Exercise("chapter02/not_written.py"),
        Exercise("chapter02/echo.py", ECHO_VARIANTS),
    )
    return tmp_path, catalogue


def run(fake_repo, *argv):
    root, catalogue = fake_repo
    res, md = root / "results", root / "RESULTS.md"
    argv = ["--results-dir", str(res), "--results-md", str(md), *argv]
    return run_all.main(argv, catalogue=catalogue, repo_root=root), res, md


def alive(pid):
    """A live process (a zombie or a vanished one is dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_runner_survives_crash_and_hang_and_keeps_old_rows(fake_repo, capsys):
    root, _ = fake_repo
    res = root / "results"
    (res / "chapter02").mkdir(parents=True)
    # an earlier good result of the exercise that now crashes must survive
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
        )  # fmt: skip
    )
    rc, res, md = run(fake_repo, "--timeout", "3")
    assert rc == 1
    out = capsys.readouterr().out
    assert "ok " in out and "timeout" in out and "failed" in out and "missing input" in out
    text = md.read_text()
    assert "| [ok](chapter02/ok.py) | score | 0.5 | 0.4 |" in text
    assert "0.77" in text and "a later run failed: RuntimeError: kaboom" in text
    assert "not measured: datasets/foo.npz not found" in text
    assert "not measured: timed out after 3 s" in text
    assert "not measured: not run yet" in text  # not_written.py
    hang = json.loads((res / "chapter02" / "hang.error.json").read_text())
    assert hang["status"] == "timeout" and hang["log"] == "chapter02/hang.log"
    missing = json.loads((res / "chapter02" / "usererr.error.json").read_text())
    assert missing["status"] == "missing input"
    assert missing["error"]["files"] == ["datasets/foo.npz"]
    assert str(root) not in json.dumps(missing)  # fields, not this machine's paths
    grandchild = int((res / "hang.pids").read_text())
    assert not alive(grandchild), "the timed-out exercise left a process behind"


def test_only_missing_inputs_exit_3(fake_repo, capsys):
    rc, _, md = run(fake_repo, "--only", "usererr", "--only", "ok")
    assert rc == 3
    assert "could not run, an input is not present: chapter02/usererr" in capsys.readouterr().err
    # a row that could not be measured still shows what the book printed
    text = md.read_text()
    assert "| [usererr](chapter02/usererr.py) | score | not measured: datasets/foo.npz not found"
    assert "| 0.91 |" in text.split("[usererr]")[1].splitlines()[0]
    assert "printed_nothing" not in text


def test_bad_data_through_the_runner_is_a_failure_not_a_missing_input(fake_repo, capsys):
    rc, res, _ = run(fake_repo, "--only", "baddata", "--only", "usererr")
    assert rc == 1
    err = capsys.readouterr().err
    assert "1 failed: chapter02/baddata" in err
    record = json.loads((res / "chapter02" / "baddata.error.json").read_text())
    assert record["status"] == "failed" and record["error"]["kind"] == "bad input"
    assert record["error"]["file"] == "datasets/foo.npz"


def test_only_runs_every_variant_with_its_own_flags_and_profile(fake_repo):
    rc, res, _ = run(fake_repo, "--only", "echo", "--profile", "full")
    assert rc == 0
    names = sorted(p.name for p in (res / "chapter02").glob("*.json"))
    assert names == ["echo.full.json", "echo@a.full.json", "echo@b.full.json"]
    for variant in ECHO_VARIANTS:
        stem = "echo" + (f"@{variant.tag}" if variant.tag else "")
        result = json.loads((res / "chapter02" / f"{stem}.full.json").read_text())
        argv = result["metrics"]["argv"]
        assert result["profile"] == "full" and argv[:2] == ["--profile", "full"]
        assert argv[4 : 4 + len(variant.args)] == list(variant.args)  # its own flags, no other's
        others = {a for v in ECHO_VARIANTS if v != variant for a in v.args} - set(variant.args)
        assert not others & set(argv)


def test_only_names_a_variant_alone(fake_repo):
    rc, res, _ = run(fake_repo, "--only", "echo@b")
    assert rc == 0 and [p.name for p in (res / "chapter02").glob("*.json")] == ["echo@b.json"]


def test_relative_folders_given_to_the_runner_are_the_users(fake_repo, tmp_path, monkeypatch):
    root, catalogue = fake_repo
    user = tmp_path / "user"
    (user / "mydata").mkdir(parents=True)
    monkeypatch.chdir(user)
    argv = [
        "--only",
        "echo",
        "--data-dir",
        "mydata",
        "--results-dir",
        "res",
        "--results-md",
        "R.md",
    ]
    assert run_all.main(argv, catalogue=catalogue, repo_root=root) == 0
    result = json.loads((user / "res" / "chapter02" / "echo.json").read_text())
    argv = result["metrics"]["argv"]
    assert argv[argv.index("--data-dir") + 1] == str(user / "mydata")
    assert result["metrics"]["cwd"] == str(root)  # exercises run from the repository
    assert (user / "R.md").exists() and not (root / "res").exists()


@pytest.mark.parametrize("data_dir", ["nowhere", ""])
def test_a_runner_data_dir_that_is_not_a_folder_is_one_line(
    data_dir, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        run_all.main(["--data-dir", data_dir, "--results-md", str(tmp_path / "R.md")])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--data-dir" in err and ("does not exist" in err or "is empty" in err)
    assert list(tmp_path.iterdir()) == []


OK_RESULT = json.dumps({"metrics": {"score": 0.5}, "book": {"score": 0.4}, "profile": "quick"})
CORRUPT_FILES = {
    "not JSON": ('{"metrics": {', "not JSON"),
    "a list": ("[1, 2]", "a JSON list, not an object"),
    "metrics a string": (json.dumps({"metrics": "0.9", "profile": "quick"}), "'metrics' is a str"),
    "no profile": (json.dumps({"metrics": {}}), "no 'profile'"),
    "data of strings": (
        json.dumps({"metrics": {}, "profile": "quick", "data": ["mnist.npz"]}),
        "'data' holds something other than objects",
    ),
    "binary": (b"\xff\xfe\x00garbage", "cannot be read"),
}


@pytest.mark.parametrize("case", CORRUPT_FILES)
def test_a_corrupt_results_file_is_shown_as_corrupt_never_not_run(case, fake_repo, capsys):
    root, _ = fake_repo
    content, why = CORRUPT_FILES[case]
    res = root / "results" / "chapter02"
    res.mkdir(parents=True)
    (res / "ok.json").write_text(OK_RESULT)
    path = res / "crash.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    rc, _, md = run(fake_repo, "--render-only")
    assert rc == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    assert err[0].startswith("error: results/chapter02/crash.json is corrupt (") and why in err[0]
    crash_row = [line for line in md.read_text().splitlines() if "[crash]" in line]
    assert len(crash_row) == 1 and "quick: chapter02/crash.json is corrupt" in crash_row[0]
    assert "not run yet" not in crash_row[0] and "| 0.5 |" in md.read_text()


def test_a_corrupt_error_file_is_shown_too(fake_repo, capsys):
    root, _ = fake_repo
    res = root / "results" / "chapter02"
    res.mkdir(parents=True)
    (res / "ok.json").write_text(OK_RESULT)
    (res / "crash.error.json").write_text("{oops")
    rc, _, md = run(fake_repo, "--render-only")
    assert rc == 1 and "crash.error.json is corrupt" in capsys.readouterr().err
    assert "chapter02/crash.error.json is corrupt" in md.read_text()


def test_runner_selection_and_bad_flags(fake_repo, capsys):
    rc, res, _ = run(fake_repo, "--only", "ok")
    assert rc == 0
    assert (res / "chapter02" / "ok.json").exists() and not (
        res / "chapter02" / "crash.log"
    ).exists()
    for argv in (["--only", "nope"], ["--chapter", "4"]):
        with pytest.raises(SystemExit) as exc:
            run_all.main(argv)
        assert exc.value.code == 2
    assert "no such chapter" in capsys.readouterr().err


def test_render_only_with_a_wrong_results_dir_touches_nothing(tmp_path, capsys):
    md = tmp_path / "RESULTS.md"
    md.write_text("old")
    rc = run_all.main(
        ["--render-only", "--results-dir", str(tmp_path / "typo"), "--results-md", str(md)]
    )
    assert rc == 2 and md.read_text() == "old"
    assert "holds no results" in capsys.readouterr().err
    rc = run_all.main(["--render-only", "--results-md", str(tmp_path / "no" / "R.md")])
    assert rc == 2 and not (tmp_path / "no").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]


def test_runner_lists_the_real_catalogue(capsys):
    assert run_all.main(["--list", "--chapter", "3"]) == 0
    assert capsys.readouterr().out.split() == [
        "chapter03/imdb_binary_classification.py",
        "chapter03/reuters_newswires.py",
        "chapter03/boston_housing_kfold.py",
    ]


def test_runner_from_the_shell_exits_non_zero_on_a_failure(fake_repo, tmp_path):
    """`python run_all.py` itself (not only main()'s value): a crashing exercise gives exit 1."""
    root, _ = fake_repo
    cmd = [sys.executable, str(REPO_ROOT / "run_all.py"), "--profile", "smoke", "--only",
           "naive_tensor_ops", "--results-dir", str(tmp_path / "res"),
           "--results-md", str(tmp_path / "R.md")]  # fmt: skip
    ok = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr[-1000:]
    bad = subprocess.run(cmd[:-4] + ["--timeout", "1", "--results-dir", str(tmp_path / "res"),
                                     "--results-md", str(tmp_path / "R.md")],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert bad.returncode == 1 and "timeout" in bad.stdout


def test_runner_end_to_end_on_real_scripts(tiny_data, tmp_path):
    """Two real scripts through the runner on tiny data: JSON written, smoke kept out of RESULTS."""
    res, md = tmp_path / "results", tmp_path / "RESULTS.md"
    argv = ["--profile", "smoke", "--only", "naive_tensor_ops", "--only", "display_digit"]
    argv += ["--data-dir", str(tiny_data), "--results-dir", str(res), "--results-md", str(md)]
    assert run_all.main(argv) == 0
    assert (res / "chapter02" / "display_digit.smoke.json").exists()
    assert (res / "chapter02" / "display_digit.smoke.png").exists()
    assert "not measured: not run yet" in md.read_text()  # smoke runs never land


def test_ctrl_c_stops_the_whole_exercise_and_exits_130(fake_repo, tmp_path):
    root, _ = fake_repo
    runner = f"""
import sys
sys.path.insert(0, {str(REPO_ROOT)!r})
import run_all
from catalogue import Exercise, Variant
sys.exit(run_all.main(["--only", "hang", "--results-dir", {str(root / "results")!r},
                       "--results-md", {str(root / "R.md")!r}],
                      catalogue=(Exercise("chapter02/hang.py"),), repo_root={str(root)!r}))
"""
    proc = subprocess.Popen([sys.executable, "-c", runner], stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    pids = root / "results" / "hang.pids"
    deadline = time.monotonic() + 60
    while not pids.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert pids.exists(), proc.stderr.read()[-2000:]
    grandchild = int(pids.read_text())
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does to the foreground group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    time.sleep(0.5)
    assert not alive(grandchild)
    assert not (root / "R.md").exists()  # nothing half-written


def test_processes_run_reports_a_timeout_and_leaves_nothing(tmp_path):
    log = open(tmp_path / "log", "w")
    start = time.monotonic()
    rc = processes.run([sys.executable, "-c", "import time; time.sleep(60)"], timeout=1, log=log)
    assert rc is None and time.monotonic() - start < 20
    assert processes.run([sys.executable, "-c", "raise SystemExit(4)"], timeout=30, log=log) == 4


def test_a_results_dir_that_cannot_take_results_is_one_line(fake_repo, tmp_path, capsys):
    root, catalogue = fake_repo
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    read_only.chmod(0o555)
    for folder, why in ((a_file, "is a file"), (read_only / "res", "cannot be written")):
        argv = [
            "--only",
            "ok",
            "--results-dir",
            str(folder),
            "--results-md",
            str(tmp_path / "R.md"),
        ]
        with pytest.raises(SystemExit) as exc:
            run_all.main(argv, catalogue=catalogue, repo_root=root)
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert f"--results-dir {folder} {why}" in err
    assert not (read_only / "res").exists() and not (tmp_path / "R.md").exists()


def test_results_md_that_cannot_be_written_is_one_line(fake_repo, monkeypatch, capsys):
    import errno

    from dlwp import report

    def full(target, write):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "atomic_write", full)
    rc, _, md = run(fake_repo, "--only", "ok")
    assert rc == 2 and not md.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: cannot write {md} (No space left on device)"]


SLOW = """
import sys, time
for epoch in range(1, 4):
    print(f"Epoch {epoch}/3", flush=True)
    time.sleep(0.7)
"""


def test_a_running_exercise_shows_its_last_log_line_as_it_goes(tmp_path, monkeypatch, capsys):
    (tmp_path / "chapter02").mkdir()
    (tmp_path / "chapter02" / "slow.py").write_text(SLOW)
    monkeypatch.setattr(run_all, "PROGRESS_SECONDS", 0.5)
    argv = ["--results-dir", str(tmp_path / "res"), "--results-md", str(tmp_path / "R.md")]
    run_all.main(argv, catalogue=(Exercise("chapter02/slow.py"),), repo_root=tmp_path)
    out = capsys.readouterr().out
    shown = [line for line in out.splitlines() if line.strip().startswith("...")]
    assert len(shown) >= 3, out
    assert all(" s: Epoch " in line for line in shown[1:]), shown
    assert "Epoch 3/3" in out or "Epoch 2/3" in out
