"""Run the exercises and regenerate RESULTS.md.

Each exercise runs in its own process with a time limit; a crash or a hang is recorded and the
runner goes on with the next one. Its output goes to results/<chapter>/<script>.log. After the
runs, RESULTS.md is rebuilt from every results JSON (so a partial rerun only changes its rows) and
replaced atomically. The exit status is non-zero if any exercise failed.

Examples:
  python run_all.py                          # everything, quick profile
  python run_all.py --chapter 2 --chapter 3  # two chapters
  python run_all.py --only mnist_convnet --profile full
  python run_all.py --render-only            # just rebuild RESULTS.md
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dlwp.catalogue import CATALOGUE
from dlwp.cli import DEFAULT_PROFILE, PROFILES, positive_int
from dlwp.results import write_json_atomic, write_results_md

REPO_ROOT = Path(__file__).resolve().parent
DEFAULT_TIMEOUT = {"smoke": 600, "quick": 3600, "full": 6 * 3600}


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE)
    p.add_argument("--chapter", action="append", default=[], help="2, 3, 5, 6, 7 or 8 (repeatable)")
    p.add_argument(
        "--only", action="append", default=[], help="a script name, e.g. mnist_convnet (repeatable)"
    )
    p.add_argument("--timeout", type=positive_int, help="seconds per exercise (default by profile)")
    p.add_argument("--data-dir", help="passed on to every script")
    p.add_argument("--results-dir", default=str(REPO_ROOT / "results"))
    p.add_argument("--results-md", default=str(REPO_ROOT / "RESULTS.md"))
    p.add_argument("--render-only", action="store_true", help="only rebuild RESULTS.md")
    p.add_argument("--list", action="store_true", help="list the selected exercises and stop")
    args = p.parse_args(argv)
    chapters = set()
    for c in args.chapter:
        name = c if c.startswith("chapter") else f"chapter{int(c):02d}" if c.isdigit() else c
        if name not in {ex.chapter for ex in CATALOGUE}:
            p.error(f"--chapter {c}: no such chapter (have 2, 3, 5, 6, 7, 8)")
        chapters.add(name)
    args.chapter = chapters
    known = {ex.stem for ex in CATALOGUE} | {
        ex.result_name(v) for ex in CATALOGUE for v in ex.variants
    }
    for name in args.only:
        if Path(name).stem not in known:
            p.error(f"--only {name}: no such exercise (see --list)")
    args.only = {Path(n).stem for n in args.only}
    return args


def selection(chapters=(), only=()):
    for ex in CATALOGUE:
        if chapters and ex.chapter not in chapters:
            continue
        for variant in ex.variants:
            if only and ex.stem not in only and ex.result_name(variant) not in only:
                continue
            yield ex, variant


def _last_error_line(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("error:"):
            return line
    return lines[-1] if lines else "no output"


def run_one(ex, variant, args) -> tuple[str, float, str]:
    """Run one exercise in its own process; returns (status, seconds, message)."""
    script = REPO_ROOT / ex.script
    out_dir = Path(args.results_dir) / ex.chapter
    name = ex.result_name(variant)
    if not script.exists():
        return "missing", 0.0, "script not written yet"
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(script), "--profile", args.profile]
    cmd += ["--output-dir", str(args.results_dir), *variant.args]
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    timeout = args.timeout or (ex.timeout or {}).get(args.profile) or DEFAULT_TIMEOUT[args.profile]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    result_json = out_dir / f"{name}.json"
    before = result_json.stat().st_mtime if result_json.exists() else None
    log = out_dir / f"{name}.log"
    start = time.perf_counter()
    with open(log, "w") as log_file:
        # Own process group, so a hang is killed with everything it started.
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
    seconds = time.perf_counter() - start
    if rc is None:
        status, message = "timeout", f"timed out after {timeout} s ({args.profile} profile)"
    elif rc != 0:
        status, message = "failed", _last_error_line(log)
    elif not result_json.exists() or result_json.stat().st_mtime == before:
        status, message = "failed", "exited 0 but wrote no results JSON"
    else:
        status, message = "ok", ""
    error_json = out_dir / f"{name}.error.json"
    if status == "ok":
        error_json.unlink(missing_ok=True)
    else:
        write_json_atomic(
            error_json,
            {
                "exercise": f"{ex.chapter}/{name}",
                "profile": args.profile,
                "error": message,
                "status": status,
                "log": str(log),
            },
        )
    return status, seconds, message


def main(argv=None) -> int:
    args = parse_args(argv)
    chosen = list(selection(args.chapter, args.only))
    if args.list:
        for ex, variant in chosen:
            extra = " ".join(variant.args)
            print(f"{ex.script} {extra}".rstrip())
        return 0
    failures = []
    if not args.render_only:
        summary = []
        for ex, variant in chosen:
            label = f"{ex.chapter}/{ex.result_name(variant)}"
            print(f"-> {label} ({args.profile}) ...", flush=True)
            status, seconds, message = run_one(ex, variant, args)
            summary.append((label, status, seconds, message))
            print(f"   {status} in {seconds:.0f} s {message}".rstrip(), flush=True)
            if status in ("failed", "timeout"):
                failures.append(label)
        print("\nSummary:")
        for label, status, seconds, message in summary:
            print(f"  {status:8} {seconds:7.0f} s  {label}  {message}".rstrip())
    md = write_results_md(Path(args.results_dir), Path(args.results_md))
    print(f"\nwrote {md}")
    if failures:
        print(f"{len(failures)} failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
