"""The flags every exercise shares, its run profiles, and how a script's `main` is run.

Profiles (`--profile`):
  smoke  a tiny slice of the data, one short epoch: seconds; what the tests run.
  quick  CPU-friendly settings that still learn on the real data (the default).
  full   the book's settings exactly.

A script that scales declares a dict of settings per profile; after parsing, every setting is an
attribute of `args` unless a flag of the same name was given (`--epochs 3` beats the profile's).
`args.folders` is the resolved `DataFolders` (see `dlwp.data.core`), handed to every loader.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from dlwp import results
from dlwp.data.core import DataFolders
from dlwp.errors import UserError
from dlwp.files import REPO_ROOT

PROFILES = ("smoke", "quick", "full")
DEFAULT_PROFILE = "quick"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "results"
ERROR_JSON_ENV = "DLWP_ERROR_JSON"  # set by the runner: where `run` stores a UserError's fields


def _checked(convert, ok, kind: str, bounds: str | None = None):
    """An argparse type: `convert` the text (else "expected <kind>"), then `ok(value)` (else
    "expected <bounds>"): one line now, instead of a value a library would only reject later."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {bounds or kind}, got {text}")
        return value

    return parse


positive_int = _checked(int, lambda v: v >= 1, "a positive integer")
# a learning rate, a loss weight
positive_float = _checked(
    float, lambda v: math.isfinite(v) and v > 0, "a positive number", "a finite number > 0"
)
# a dropout rate (1 would drop everything)
fraction = _checked(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
# NumPy's seeds: a flag outside them fails here, not deep in Keras
seed = _checked(int, lambda v: 0 <= v < 2**32, "an integer", f"0 to {2**32 - 1}")


def first_paragraph(doc: str | None) -> str | None:
    """What `--help` shows of a script's docstring: its first paragraph, what the exercise is."""
    if not doc:
        return doc
    return doc.strip().split("\n\n", 1)[0]


def parser(doc: str | None, profiles: dict[str, dict] | None = None) -> argparse.ArgumentParser:
    """An ArgumentParser with the common flags; the script adds its own before `parse`.

    `profiles` is None for a script with nothing to scale (its profiles are all the same).
    """
    if profiles is not None and set(profiles) != set(PROFILES):
        raise ValueError(f"profiles must be exactly {PROFILES}, not {sorted(profiles)}")
    described = "; ".join(f"{n}: {_describe(s)}" for n, s in (profiles or {}).items())
    p = argparse.ArgumentParser(
        usage="%(prog)s [options]",  # the options are listed below, once
        description=first_paragraph(doc),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default=DEFAULT_PROFILE,
        help="smoke (seconds, tests), quick (CPU, default) or full (the book)"
        + (f". {described}" if described else "; this script runs the same in all three"),
    )
    if any("epochs" in settings for settings in (profiles or {}).values()):
        p.add_argument("--epochs", type=positive_int, help="override the profile's epoch count")
    p.add_argument(
        "--data-dir", help="data folder in Keras-cache layout (default: $DLWP_DATA_DIR, then data/)"
    )
    p.add_argument(
        "--output-dir",
        default=str(DEFAULT_OUTPUT_DIR),
        help="where results JSON and figures go (default: results/)",
    )
    p.add_argument("--seed", type=seed, default=1, help="random seed, 0 to 2**32-1 (default: 1)")
    p.set_defaults(_profiles=profiles or {})
    return p


def _describe(settings: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def parse(p: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse argv (None = sys.argv), fill in the profile's settings, resolve the folders."""
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    profiles = args._profiles
    del args._profiles
    for key, value in profiles.get(args.profile, {}).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if not str(args.output_dir).strip():  # '' would resolve to the folder the user stands in
        raise UserError("--output-dir is empty", "give a folder, or leave the flag out")
    args.output_dir = Path(args.output_dir).expanduser().resolve()
    if args.output_dir.exists() and not args.output_dir.is_dir():
        raise UserError(f"--output-dir {args.output_dir} is a file", "give a folder")
    args.folders = DataFolders.resolve(args.data_dir)
    return args


def add_weights_flags(p: argparse.ArgumentParser, bases: tuple[str, ...], default_base: str):
    """--base and --weights, for exercises built on a pretrained ImageNet network."""
    p.add_argument(
        "--base",
        choices=bases,
        default=default_base,
        help=f"the pretrained network (default {default_base}, the book's; another stands in, "
        "labelled as such)",
    )
    p.add_argument(
        "--weights",
        default="imagenet",
        help="imagenet (the file in <data>/models/, else downloaded), none (random: smoke tests "
        "only) or a weights file",
    )


def run(main, argv=None):
    """Run a script's `main`: a UserError is one line on stderr and exit status 1, and its
    fields go to `$DLWP_ERROR_JSON` when the runner asked for them. An OSError that reaches here
    (a full disk, a folder removed mid-run) is one line too. What an unfinished run staged is
    dropped, so the last good results stay."""
    try:
        try:
            return main(argv)
        finally:
            results.discard_unfinished()
    except UserError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing of this run was kept", file=sys.stderr)
        sys.exit(130)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(
            UserError(
                f"{where}{exc.strerror or exc}",
                "free some space or fix the folder's permissions, then run again",
                errno=exc.errno,
            )
        )


def _fail(exc: UserError):
    target = os.environ.get(ERROR_JSON_ENV)
    if target:
        Path(target).write_text(json.dumps(exc.to_dict(), indent=2) + "\n", encoding="utf-8")
    print(f"error: {exc.message}", file=sys.stderr)
    sys.exit(1)
