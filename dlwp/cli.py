"""The flags every exercise shares, and the run profiles.

Profiles (`--profile`):
  smoke  a tiny slice of the data, one short epoch: seconds; what the tests run.
  quick  CPU-friendly settings that still learn on the real data (the default).
  full   the book's settings exactly.

A script declares a dict of settings per profile; after parsing, every setting is an attribute of
`args` unless a flag of the same name was given (e.g. `--epochs 3` beats the profile's epochs).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dlwp.datasets import REPO_ROOT

PROFILES = ("smoke", "quick", "full")
DEFAULT_PROFILE = "quick"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "results"


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def parser(doc: str | None, profiles: dict[str, dict]) -> argparse.ArgumentParser:
    """An ArgumentParser with the common flags; the script adds its own before `parse`."""
    missing = set(PROFILES) - set(profiles)
    if missing:
        raise ValueError(f"profiles {sorted(missing)} are not defined")
    p = argparse.ArgumentParser(
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default=DEFAULT_PROFILE,
        help="smoke (seconds, tests), quick (CPU, default) or full (the book). "
        + "; ".join(f"{name}: {_describe(s)}" for name, s in profiles.items()),
    )
    p.add_argument("--epochs", type=positive_int, help="override the profile's epoch count")
    p.add_argument(
        "--data-dir",
        help="data folder in Keras-cache layout (default: $DLWP_DATA_DIR, then data/)",
    )
    p.add_argument(
        "--output-dir",
        default=str(DEFAULT_OUTPUT_DIR),
        help="where results JSON and figures go (default: results/)",
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    p.set_defaults(_profiles=profiles)
    return p


def _describe(settings: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def parse(p: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse argv (None = sys.argv) and fill in the profile's settings."""
    args = p.parse_args(argv)
    profiles = args._profiles
    del args._profiles
    for key, value in profiles[args.profile].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    args.output_dir = Path(args.output_dir).expanduser().resolve()
    return args


def add_weights_flags(p: argparse.ArgumentParser, bases: tuple[str, ...], default_base: str):
    """--base and --weights, for exercises built on a pretrained ImageNet network."""
    p.add_argument(
        "--base",
        choices=bases,
        default=default_base,
        help=f"the pretrained network (default {default_base}, the book's); others stand in "
        "where its weights are not available, and their results are labelled as such",
    )
    p.add_argument(
        "--weights",
        default="imagenet",
        help="imagenet (Keras' file under <data>/models/, else downloaded), none (random "
        "initialization: smoke tests only, never a result), or a path to a weights file",
    )
