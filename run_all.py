"""Run the exercises and regenerate RESULTS.md.

Each exercise runs in its own process session with a time limit; a crash or a hang is recorded
and the runner goes on with the next one. Its output goes to results/<chapter>/<name>.log. After
the runs, RESULTS.md is rebuilt from every results JSON (so a partial rerun only changes its
rows) and replaced atomically.

Exit status: 0 when every exercise ran; 1 when one failed (a crash, a timeout, bad input: the
code or the data is broken) or a results file is corrupt (its row says so); 3 when the only
gaps are inputs that are not present here (ImageNet weights, the Jena CSV, GloVe): nothing is
broken, something is missing. Ctrl-C stops
the running exercise whole and exits 130.

Examples:
  python run_all.py                          # everything, quick profile
  python run_all.py --chapter 2 --chapter 3  # two chapters
  python run_all.py --only mnist_convnet --profile full
  python run_all.py --render-only            # just rebuild RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from catalogue import CATALOGUE, CHAPTER_TITLES
from dlwp import processes, report
from dlwp.errors import UserError
from dlwp.flags import DEFAULT_PROFILE, ERROR_JSON_ENV, PROFILES, positive_int
from dlwp.results import profile_suffix, write_json

REPO_ROOT = Path(__file__).resolve().parent
DEFAULT_TIMEOUT = {"smoke": 600, "quick": 3600, "full": 6 * 3600}
MISSING_INPUT = "missing input"
PROGRESS_SECONDS = 30  # how often a running exercise's last log line is shown


def parse_args(argv=None, catalogue=CATALOGUE):
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
    # Relative folders are the user's: resolved against the folder the command was started in,
    # before the exercises run from the repository root.
    for flag in ("data_dir", "results_dir", "results_md"):
        value = getattr(args, flag)
        if value is not None and not value.strip():
            p.error(f"--{flag.replace('_', '-')} is empty")
        if value is not None:
            setattr(args, flag, str(Path(value).expanduser().resolve()))
    results_dir = Path(args.results_dir)
    if results_dir.exists() and not results_dir.is_dir():
        p.error(f"--results-dir {results_dir} is a file: give a folder")
    if not args.render_only and not args.list and not _writable(results_dir):
        p.error(f"--results-dir {results_dir} cannot be written: give a folder you can write to")
    if args.data_dir and not Path(args.data_dir).is_dir():
        what = "does not exist" if not Path(args.data_dir).exists() else "is not a folder"
        p.error(f"--data-dir {args.data_dir} {what}: give the folder that holds datasets/")
    chapters = set()
    for c in args.chapter:
        name = c if c.startswith("chapter") else f"chapter{int(c):02d}" if c.isdigit() else c
        if name not in {ex.chapter for ex in catalogue}:
            p.error(f"--chapter {c}: no such chapter (have 2, 3, 5, 6, 7, 8)")
        chapters.add(name)
    args.chapter = chapters
    known = {ex.stem for ex in catalogue} | {
        ex.result_name(v) for ex in catalogue for v in ex.variants
    }
    for name in args.only:
        if Path(name).stem not in known:
            p.error(f"--only {name}: no such exercise (see --list)")
    args.only = {Path(n).stem for n in args.only}
    return args


def _writable(folder: Path) -> bool:
    """Can `folder` (or the nearest folder above it that exists) be written? Permission bits
    are checked too: root may write anywhere, but a read-only folder is the user's choice."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    mode = folder.stat().st_mode
    return folder.is_dir() and os.access(folder, os.W_OK) and bool(mode & 0o222)


def selection(catalogue, chapters=(), only=()):
    for ex in catalogue:
        if chapters and ex.chapter not in chapters:
            continue
        for variant in ex.variants:
            if only and ex.stem not in only and ex.result_name(variant) not in only:
                continue
            yield ex, variant


def _last_line(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def run_one(ex, variant, args, repo_root=REPO_ROOT) -> tuple[str, float, dict | None]:
    """Run one exercise in its own session; returns (status, seconds, error fields or None)."""
    script = repo_root / ex.script
    results_dir = Path(args.results_dir)
    out_dir = results_dir / ex.chapter
    stem = ex.result_name(variant) + profile_suffix(args.profile)
    if not script.exists():
        return "missing", 0.0, {"kind": "failed", "problem": "script not written yet"}
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, script, "--profile", args.profile, "--output-dir", results_dir]
    cmd += [*variant.args] + (["--data-dir", args.data_dir] if args.data_dir else [])
    timeout = args.timeout or (ex.timeout or {}).get(args.profile) or DEFAULT_TIMEOUT[args.profile]
    result_json = out_dir / f"{stem}.json"
    error_json = out_dir / f"{stem}.error.json"
    fields_file = out_dir / f".{stem}.fields.{os.getpid()}.json"
    env = dict(
        os.environ,
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONUNBUFFERED="1",
        **{ERROR_JSON_ENV: str(fields_file)},
    )
    before = result_json.stat().st_mtime_ns if result_json.exists() else None
    log = out_dir / f"{stem}.log"
    start = time.perf_counter()
    try:
        with open(log, "w") as log_file:

            def progress(seconds):  # a long exercise shows it is alive, and where it is
                print(f"   ... {seconds:.0f} s: {_last_line(log)[:110]}", flush=True)

            rc = processes.run(
                cmd,
                timeout=timeout,
                log=log_file,
                cwd=repo_root,
                env=env,
                progress=progress,
                every=PROGRESS_SECONDS,
            )
        seconds = time.perf_counter() - start
        fields = None
        if fields_file.exists():
            fields = json.loads(fields_file.read_text(encoding="utf-8"))
    finally:
        fields_file.unlink(missing_ok=True)
    if rc is None:
        problem = f"timed out after {timeout} s ({args.profile} profile)"
        status, fields = "timeout", {"kind": "timeout", "problem": problem}
    elif rc != 0:
        status = MISSING_INPUT if fields and fields.get("kind") == MISSING_INPUT else "failed"
        fields = fields or {"kind": "failed", "problem": _last_line(log)}
    elif not result_json.exists() or result_json.stat().st_mtime_ns == before:
        status, fields = "failed", {"kind": "failed", "problem": "exited 0 but wrote no results"}
    else:
        status = "ok"
    if status == "ok":
        error_json.unlink(missing_ok=True)
    else:
        record = {"exercise": f"{ex.chapter}/{ex.result_name(variant)}", "profile": args.profile}
        record.update(status=status, error=fields, log=log.relative_to(results_dir).as_posix())
        write_json(error_json, record)
    return status, seconds, fields


def main(argv=None, catalogue=CATALOGUE, repo_root=REPO_ROOT) -> int:
    args = parse_args(argv, catalogue)
    repo_root = Path(repo_root)
    chosen = list(selection(catalogue, args.chapter, args.only))
    if args.list:
        for ex, variant in chosen:
            print(f"{ex.script} {' '.join(variant.args)}".rstrip())
        return 0
    results_dir, results_md = Path(args.results_dir), Path(args.results_md)
    if args.render_only and not report.has_results(results_dir):
        print(
            f"error: --results-dir {results_dir} holds no results; give the folder the runs "
            "wrote to (default results/)",
            file=sys.stderr,
        )
        return 2
    if results_md.is_dir() or not results_md.parent.is_dir():
        print(
            f"error: --results-md {results_md}: not a file in an existing folder", file=sys.stderr
        )
        return 2
    summary = []
    try:
        for ex, variant in chosen if not args.render_only else []:
            label = f"{ex.chapter}/{ex.result_name(variant)}"
            print(f"-> {label} ({args.profile}) ...", flush=True)
            status, seconds, fields = run_one(ex, variant, args, repo_root)
            message = (fields or {}).get("problem", "")
            summary.append((label, status, seconds, message))
            print(f"   {status} in {seconds:.0f} s {message}".rstrip(), flush=True)
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the running exercise was stopped; results/ and RESULTS.md are "
            "as they were",
            file=sys.stderr,
        )
        return 130
    if summary:
        print("\nSummary:")
        for label, status, seconds, message in summary:
            print(f"  {status:13} {seconds:7.0f} s  {label}  {message}".rstrip())
    corrupt = []
    try:
        md = report.write_results_md(
            results_dir, results_md, catalogue, CHAPTER_TITLES, corrupt, repo_root
        )
        print(f"\nwrote {md}")
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a folder that vanished
        print(f"error: cannot write {results_md} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    for bad in corrupt:
        print(f"error: {results_dir.name}/{bad}; rerun the exercise or delete it", file=sys.stderr)
    failed = [s[0] for s in summary if s[1] in ("failed", "timeout", "missing")]
    missing = [s[0] for s in summary if s[1] == MISSING_INPUT]
    if failed:
        print(f"{len(failed)} failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if corrupt:
        return 1
    if missing:
        print(
            f"{len(missing)} could not run, an input is not present: {', '.join(missing)}",
            file=sys.stderr,
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
