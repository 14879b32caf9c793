"""The results of one run: a JSON file and figures in the output folder.

Each run writes `<output-dir>/<chapter>/<name>.json` (quick profile) or `<name>.<profile>.json`
(smoke, full), so a run never replaces another profile's result. The JSON holds the metrics, the
book's reference values, the profile and settings, the data files read (named inside their data
folder), the seconds it took, library versions and its figures (relative to the output folder).
No path of the machine that ran is written.

Nothing is lost: figures, models and text a run writes go to a hidden staging folder first, and
`finish` moves them into place, with the JSON last, only when every metric is finite. A run that
fails or comes out NaN leaves the last good result, its figures and its model as they were.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import shutil
import time
from pathlib import Path

from dlwp.errors import UserError
from dlwp.files import atomic_write


def profile_suffix(profile: str) -> str:
    """'' for quick, the collection's default and RESULTS.md's main rows; '.full', '.smoke'."""
    return "" if profile == "quick" else f".{profile}"


def _versions() -> dict:
    import keras
    import numpy
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "gpus": len(tf.config.list_physical_devices("GPU")),
    }


def jsonable(value):
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy scalar
        value = value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def write_json(path: Path, data: dict) -> None:
    text = json.dumps(jsonable(data), indent=2) + "\n"
    atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _portable(value, folders):
    """A path of this machine as results name it (inside its data folder, else its file name)."""
    if isinstance(value, (str, Path)) and os.path.isabs(value):
        return folders.name(value)
    return value


def _command(script: str, argv: list[str], folders) -> str:
    """The command line, without the folder flags and with no path of this machine."""
    out, skip = [Path(script).name], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--data-dir", "--output-dir"):
            skip = True
        elif not arg.startswith(("--data-dir=", "--output-dir=")):
            out.append(str(_portable(arg, folders)))
    return " ".join(out)


class Run:
    """One run of one exercise: where its files go, and what `finish` writes.

    `book` maps metric names to the book's values (a number, a text, or None where the book
    printed nothing); those are the metrics RESULTS.md shows next to ours.
    """

    def __init__(self, script: str, args, title: str, book: dict, variant: str | None = None):
        script_path = Path(script).resolve()
        self.script = script_path.name
        self.chapter = script_path.parent.name
        self.name = script_path.stem + (f"@{variant}" if variant else "")
        self.file_stem = self.name + profile_suffix(args.profile)
        self.exercise = f"{self.chapter}/{self.name}"
        self.title, self.book, self.variant, self.args = title, book, variant, args
        self.output_root = Path(args.output_dir)
        self.dir = self.output_root / self.chapter
        # Checked now, made at the first write: a run that fails on its data leaves no folder.
        probe = self.dir
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        # the bits, not only access(): root may write anywhere
        if not probe.is_dir() or not os.access(probe, os.W_OK) or not probe.stat().st_mode & 0o222:
            why = "not a folder" if not probe.is_dir() else "read-only"
            raise UserError(
                f"cannot write to the output folder {self.dir} ({probe} is {why})",
                "pass --output-dir with a folder you can write to",
            )
        self.figures: list[Path] = []
        self.staging = self.dir / f".{self.file_stem}.staging-{os.getpid()}"
        self.started = time.perf_counter()
        _unfinished.append(self)
        print(f"== {self.exercise}: {title} [profile {args.profile}]", flush=True)

    def path(self, suffix: str) -> Path:
        """A file of this run's, e.g. run.path('.png'): staged, moved into the output folder by
        `finish` (so a failed run replaces nothing)."""
        self.staging.mkdir(parents=True, exist_ok=True)
        return self.staging / f"{self.file_stem}{suffix}"

    def final(self, path) -> Path:
        """Where a staged file will be once the run finishes."""
        path = Path(path)
        try:
            return self.dir / path.relative_to(self.staging)
        except ValueError:
            return path

    def relative(self, path) -> str:
        """`path` as results name it: relative to the output folder, where it ends up."""
        try:
            path = self.final(Path(path).resolve())
            return path.relative_to(self.output_root.resolve()).as_posix()
        except ValueError:
            return Path(path).name

    def save_figure(self, fig, suffix: str = ".png") -> Path:
        """Save a Matplotlib figure as PNG and list it in the results."""
        path = self.path(suffix)
        fig.savefig(path, dpi=90, bbox_inches="tight")
        self.add_figure(path)
        return path

    def save_model(self, model) -> Path:
        """Save a trained model as `<chapter>/models/<name>[.<profile>].keras`; returns the path."""
        path = self.staging / "models" / f"{self.file_stem}.keras"
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
        print(f"saved {self.final(path)}")
        return path

    def add_figure(self, path: Path) -> None:
        self.figures.append(Path(path))

    def discard(self) -> None:
        """Drop what this run staged (it failed): the last good files stay as they were."""
        shutil.rmtree(self.staging, ignore_errors=True)
        if self in _unfinished:
            _unfinished.remove(self)

    def _publish(self) -> None:
        """Move what the run staged into the output folder: files one by one (`models/` file by
        file), a folder of the run's own (style transfer's frames) as a whole."""
        if not self.staging.exists():
            return
        json_last = sorted(self.staging.iterdir(), key=lambda p: (p.suffix == ".json", p.name))
        for staged in json_last:
            target = self.dir / staged.name
            if staged.is_dir() and staged.name == "models":
                target.mkdir(parents=True, exist_ok=True)
                for f in staged.iterdir():
                    os.replace(f, target / f.name)
                continue
            if staged.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            os.replace(staged, target)
        shutil.rmtree(self.staging, ignore_errors=True)

    def finish(self, metrics: dict, **extra) -> dict:
        """Write the results JSON and return it (what `main` returns); a metric that is NaN or
        infinite fails the run instead (exit status 1), and the last good result stays.
        `notes={metric: why}` says in RESULTS.md's row what a number is, where that is not
        what its name suggests; other `extra` keys go into the JSON as they are."""
        bad = non_finite(metrics)
        if bad:
            self.discard()
            raise UserError(
                f"{self.exercise} ({self.args.profile}): metrics are not finite: "
                + ", ".join(bad[:5])
                + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else ""),
                "training diverged or the data holds bad values; the last good results, "
                "figures and model are kept",
                exercise=self.exercise,
                profile=self.args.profile,
                metrics=bad,
            )
        hidden = ("output_dir", "data_dir", "folders", "profile", "seed", "argv")
        folders = self.args.folders
        settings = {k: _portable(v, folders) for k, v in vars(self.args).items() if k not in hidden}
        result = {
            "exercise": self.exercise,
            "title": self.title,
            "variant": self.variant,
            "metrics": metrics,
            "book": self.book,
            "profile": self.args.profile,
            "settings": settings,
            "seed": self.args.seed,
            "data": list(folders.read),
            "seconds": round(time.perf_counter() - self.started, 1),
            "figures": [self.relative(p) for p in self.figures],
            "versions": _versions(),
            "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "command": _command(self.script, getattr(self.args, "argv", []), folders),
            **extra,
        }
        result = jsonable(result)
        # The JSON is staged too, and moved last: a disk that fills up while it is written
        # leaves every earlier file as it was.
        write_json(self.path(".json"), result)
        self._publish()
        target = self.dir / f"{self.file_stem}.json"
        if self in _unfinished:
            _unfinished.remove(self)
        shown = ", ".join(f"{k}={_short(metrics.get(k))}" for k in self.book) or "done"
        print(f"== {self.exercise}: {shown} ({result['seconds']} s) -> {target}")
        return result


_unfinished: list[Run] = []


def discard_unfinished() -> None:
    """Drop the staged files of every run that did not finish (`flags.run`, on a failure)."""
    for run in list(_unfinished):
        run.discard()


def non_finite(value, name="") -> list[str]:
    """The names of the NaN or infinite numbers in `value` (nested dicts and lists walked)."""
    if isinstance(value, dict):
        return [b for k, v in value.items() for b in non_finite(v, f"{name}.{k}" if name else k)]
    if isinstance(value, (list, tuple)):
        return [b for i, v in enumerate(value) for b in non_finite(v, f"{name}[{i}]")]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return non_finite(value.tolist(), name)
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{name}={value}"]
    return []


def _short(value) -> str:
    """A metric for the console line a run ends with (RESULTS.md's cells are report.fmt's)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and len(value) > 4:
        return f"[{', '.join(_short(v) for v in value[:4])}, ... ({len(value)})]"
    return str(value)
