"""Results of a run (JSON + figures) and RESULTS.md, rendered from all of them.

Each run writes `<output-dir>/<chapter>/<script>[@variant].json` with its metrics, the book's
reference values, the profile and settings, the data files it read, the seconds it took, library
versions and its figures. RESULTS.md is rebuilt from every such file, so re-running one exercise
changes only its rows. Smoke runs and runs on made-for-tests data never appear in RESULTS.md.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

from dlwp import datasets
from dlwp.catalogue import CATALOGUE, CHAPTER_TITLES
from dlwp.errors import UserError

REPO_ROOT = datasets.REPO_ROOT


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


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy scalar
        value = value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_jsonable(data), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class Run:
    """One run of one exercise: seeds everything, then collects what `finish` writes.

    `book` maps metric names to the book's values (a number, a text, or None where the book
    printed nothing); those are the metrics RESULTS.md shows next to ours.
    """

    def __init__(self, script: str, args, title: str, book: dict, variant: str | None = None):
        import keras

        script_path = Path(script).resolve()
        self.chapter = script_path.parent.name
        self.name = script_path.stem + (f"@{variant}" if variant else "")
        self.exercise = f"{self.chapter}/{self.name}"
        self.title = title
        self.book = book
        self.variant = variant
        self.args = args
        self.output_root = Path(args.output_dir)
        self.dir = self.output_root / self.chapter
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            probe = self.dir / f".write-test-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise UserError(
                f"cannot write to the output folder {self.dir} ({exc.strerror or exc}); "
                "pass --output-dir with a folder you can write to"
            ) from None
        self.figures: list[Path] = []
        datasets.used_sources(clear=True)
        keras.utils.set_random_seed(args.seed)
        self.started = time.perf_counter()
        print(f"== {self.exercise}: {title} [profile {args.profile}]", flush=True)

    def path(self, suffix: str) -> Path:
        """A file of this run's in the output folder: `<name><suffix>`, e.g. run.path('.png')."""
        return self.dir / f"{self.name}{suffix}"

    def save_figure(self, fig, suffix: str = ".png") -> Path:
        """Save a Matplotlib figure as PNG, close it, and list it in the results."""
        import matplotlib.pyplot as plt

        path = self.path(suffix)
        fig.savefig(path, dpi=90, bbox_inches="tight")
        plt.close(fig)
        self.add_figure(path)
        return path

    def add_figure(self, path: Path) -> None:
        self.figures.append(Path(path))

    def finish(self, metrics: dict, **extra) -> dict:
        """Write the results JSON and return it (what `main` returns)."""
        settings = {
            k: v
            for k, v in vars(self.args).items()
            if k not in ("output_dir", "data_dir", "profile", "seed")
        }
        result = {
            "exercise": self.exercise,
            "title": self.title,
            "variant": self.variant,
            "metrics": metrics,
            "book": self.book,
            "profile": self.args.profile,
            "settings": settings,
            "seed": self.args.seed,
            "data": datasets.used_sources(),
            "seconds": round(time.perf_counter() - self.started, 1),
            "figures": [_relative(p, self.output_root) for p in self.figures],
            "versions": _versions(),
            "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
            **extra,
        }
        result = _jsonable(result)
        write_json_atomic(self.path(".json"), result)
        shown = ", ".join(f"{k}={_fmt(metrics.get(k))}" for k in self.book) or "done"
        print(f"== {self.exercise}: {shown} ({result['seconds']} s) -> {self.path('.json')}")
        return result


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------------
# RESULTS.md


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:.1f}"
    if isinstance(value, list):
        if len(value) > 8:
            return f"[{', '.join(_fmt(v) for v in value[:8])}, … ({len(value)})]"
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value).replace("|", "\\|").replace("\n", " ")


def _seconds(s) -> str:
    if s is None:
        return "—"
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def _data_name(file: str) -> str:
    """A data file as named inside its data folder: `dogs-vs-cats/train`, not just `train`."""
    parts = Path(file).parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] in ("datasets", "models"):
            return "/".join(parts[i + 1 :])
    return parts[-1] if parts else file


def _data_summary(sources: list[dict]) -> str:
    if not sources:
        return "none (generated in the script)"
    return ", ".join(sorted({_data_name(s["file"]) for s in sources}))


def _settings_summary(result: dict) -> str:
    settings = result.get("settings", {})
    parts = [result.get("profile", "?")]
    epochs = settings.get("epochs")
    if epochs is not None:
        parts.append(f"{epochs} epoch{'' if epochs == 1 else 's'}")
    return ", ".join(parts)


def short_reason(error: str, limit: int = 160) -> str:
    """The gist of a failure for a table cell: its first clause (the full text is in the JSON)."""
    gist = error.removeprefix("error: ").split("; ")[0].split(" — ")[0]
    if "download failed" in error and "download failed" not in gist:
        gist += ", and the download failed"
    return gist if len(gist) <= limit else gist[: limit - 1] + "…"


def reportable(result: dict) -> bool:
    """Only real runs enter RESULTS.md: not smoke, not on made-for-tests data."""
    if result.get("profile") == "smoke":
        return False
    return not any(s.get("kind") != "real" for s in result.get("data", []))


def _load(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def render(results_dir: Path, repo_root: Path = REPO_ROOT) -> str:
    results_dir = Path(results_dir)
    rel_results = _relative(results_dir, repo_root)
    lines = [
        "# Results",
        "",
        "Generated by `python run_all.py` from `results/<chapter>/*.json`; do not edit by hand.",
        "Each row is one run on the real data at the profile named (quick = CPU-friendly settings,",
        "full = the book's). The book's numbers are from the 1st-edition notebooks (Keras 2.0.8,",
        "GPU, 2017). Smoke runs and runs on made-for-tests data never appear here.",
        "",
    ]
    body, envs = [], {}
    for chapter in dict.fromkeys(ex.chapter for ex in CATALOGUE):
        rows, figures = [], []
        for ex in (e for e in CATALOGUE if e.chapter == chapter):
            for variant in ex.variants:
                name = ex.result_name(variant)
                link = f"[{name}]({ex.script})"
                result = _load(results_dir / chapter / f"{name}.json")
                error = _load(results_dir / chapter / f"{name}.error.json")
                if result is not None and not reportable(result):
                    result = None
                if result is None:
                    why = short_reason(error["error"]) if error else "not run yet"
                    rows.append(f"| {link} | — | not measured: {_fmt(why)} | | | | |")
                    continue
                v = result.get("versions", {})
                env = (
                    f"Python {v.get('python')}, TensorFlow {v.get('tensorflow')}, "
                    f"Keras {v.get('keras')}, NumPy {v.get('numpy')}; {v.get('machine')}, "
                    f"{v.get('gpus', 0)} GPU"
                )
                envs.setdefault(env, []).append(name)
                note = ""
                stale = results_dir / chapter / f"{name}.error.json"
                if (
                    error
                    and stale.stat().st_mtime
                    > (results_dir / chapter / f"{name}.json").stat().st_mtime
                ):
                    note = f" (a later run failed: {_fmt(short_reason(error['error']))})"
                book = result.get("book") or {"(ran)": None}
                first = True
                for metric, ref in book.items():
                    ours = result["metrics"].get(metric) if metric in result["metrics"] else None
                    cells = [
                        link + note if first else "",
                        metric,
                        _fmt(ours),
                        _fmt(ref),
                        _settings_summary(result) if first else "",
                        _seconds(result.get("seconds")) if first else "",
                        _data_summary(result.get("data", [])) if first else "",
                    ]
                    rows.append("| " + " | ".join(cells) + " |")
                    first = False
                for fig in result.get("figures", []):
                    figures.append(f"**{name}** — `{fig}`\n\n![{name}]({rel_results}/{fig})\n")
        body += [f"## {CHAPTER_TITLES.get(chapter, chapter)}", ""]
        body += [
            "| exercise | metric | ours | book | profile | time | data |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
        body += figures
    if envs:
        lines.append("Environment of the runs:")
        for env, names in envs.items():
            lines.append(f"- {env} ({len(names)} runs)")
        lines.append("")
    return "\n".join(lines + body).rstrip() + "\n"


def write_results_md(results_dir: Path, target: Path) -> Path:
    """Render RESULTS.md and replace `target` atomically."""
    text = render(results_dir, Path(target).resolve().parent)
    tmp = Path(target).with_name(f".{Path(target).name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return Path(target)
