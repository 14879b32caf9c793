"""The Jena climate records, 2009-2016 (section 6.3.1): the CSV, or the zip that holds it."""

from __future__ import annotations

import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from dlwp.data.core import DataFolders
from dlwp.data.formats import check
from dlwp.errors import BadData, MissingData
from dlwp.files import atomic_write, cache_lock

CSV = "datasets/jena_climate_2009_2016.csv"
ZIP = "datasets/jena_climate_2009_2016.csv.zip"
# No official hash is published (Keras' timeseries example downloads it without one).
URL = "https://s3.amazonaws.com/keras-datasets/jena_climate_2009_2016.csv.zip"
COLUMNS = (
    "Date Time",
    "p (mbar)",
    "T (degC)",
    "Tpot (K)",
    "Tdew (degC)",
    "rh (%)",
    "VPmax (mbar)",
    "VPact (mbar)",
    "VPdef (mbar)",
    "sh (g/kg)",
    "H2OC (mmol/mol)",
    "rho (g/m**3)",
    "wv (m/s)",
    "max. wv (m/s)",
    "wd (deg)",
)


def _extract(data: DataFolders, archive: Path) -> Path:
    """The CSV member of the zip, written by name only (no path escapes) into the cache."""
    name = Path(CSV).name
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [
                m
                for m in zf.namelist()
                if Path(m).name == name and not m.startswith("__MACOSX") and not m.endswith("/")
            ]
            if not members:
                raise BadData(archive, f"holds no {name}", name=data.name(archive))
            content = zf.read(members[0])
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise BadData(
            archive,
            f"not a readable zip ({type(exc).__name__}: {exc})",
            "download it again",
            name=data.name(archive),
        ) from None
    target = data.cache_dir("datasets") / name
    with cache_lock(target):
        atomic_write(target, lambda tmp: tmp.write_bytes(content))
    return target


def find_csv(data: DataFolders) -> Path:
    """The CSV in a source folder; else extracted from the zip (local, else downloaded) into the
    cache, re-extracted when the zip changes; else a CSV already in the cache."""
    for folder in data.sources:
        if (folder.path / CSV).is_file():
            data.record(folder.path / CSV, "Jena climate 2009-2016 CSV")
            return folder.path / CSV
    archive = data.locate(ZIP)
    cached = data.cache.path / CSV
    if archive is None and cached.is_file():
        data.record(cached, "Jena climate 2009-2016 CSV")
        return cached
    if archive is None:
        try:
            archive = data.download(ZIP, URL)
        except MissingData as exc:  # name both files the user could provide
            raise data.missing([CSV, ZIP], URL, exc.reason) from None
    data.record(archive, "Jena climate 2009-2016 (zip)")
    stat = archive.stat()
    key = f"{stat.st_size}:{stat.st_mtime_ns}"
    stamp = cached.with_name(f".{cached.name}.source")
    if not (cached.is_file() and stamp.is_file() and stamp.read_text() == key):
        path = _extract(data, archive)
        atomic_write(stamp, lambda tmp: tmp.write_text(key))
    else:
        path = cached
    data.record(path, "Jena climate 2009-2016 CSV")
    return path


def load(data: DataFolders) -> tuple[list[str], np.ndarray]:
    """(the 14 measurement names, float64 array (rows, 14)): the book's parse of the CSV.

    The header must be the 15 official columns; "Date Time" is dropped, every other value must
    be a number.
    """
    path = find_csv(data)
    name = data.name(path)
    try:
        with open(path, encoding="utf-8") as f:
            header = f.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadData(path, f"not a readable UTF-8 CSV file ({exc})", name=name) from None
    names = tuple(c.strip().strip('"') for c in header.split(","))
    check(
        names == COLUMNS,
        path,
        f"its header has {len(names)} columns {list(names)[:3]}..., expected the 15 Jena "
        f"columns {list(COLUMNS)[:3]}...",
        name,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": checked below
            values = np.loadtxt(
                path, delimiter=",", skiprows=1, usecols=range(1, len(COLUMNS)), ndmin=2
            )
    except ValueError as exc:
        raise BadData(path, f"malformed: {exc}", name=name) from None
    check(len(values) > 0, path, "no data rows after the header", name)
    check(bool(np.isfinite(values).all()), path, "some values are not finite numbers", name)
    return list(COLUMNS[1:]), values
