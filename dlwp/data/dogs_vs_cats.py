"""Dogs vs. Cats: Kaggle's training photos, and the book's small split made from them.

Kaggle's `train/` folder (`datasets/dogs-vs-cats/train/cat.0.jpg` ...) is a source: read only.
The book's split, `cats_and_dogs_small/{train,validation,test}/{cats,dogs}/` (section 5.2.2), is a
derived cache in the cache folder, built by `prepare_split`.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from dlwp.data.core import DataFolders
from dlwp.data.formats import read_bytes
from dlwp.errors import BadData, UserError
from dlwp.files import atomic_write, cache_lock

SOURCE = "datasets/dogs-vs-cats/train"  # Kaggle's train/ folder, flat: cat.0.jpg ...
CLASSES = ("cat", "dog")  # file prefixes; label 0, label 1 (folders: cats, dogs)
SPLIT = {"train": 1000, "validation": 500, "test": 500}  # images per class, in index order
SMOKE_SPLIT = {"train": 6, "validation": 3, "test": 3}  # tiny folders for the tests
KAGGLE = "https://www.kaggle.com/c/dogs-vs-cats/data"


def find_source(data: DataFolders, n_per_class: int = 2000) -> Path:
    """Kaggle's flat `train/` folder, checked to hold `{cat,dog}.{0..n_per_class-1}.jpg`.

    Kaggle needs an account and the competition's rules accepted, so there is no download.
    """
    folder = data.locate(SOURCE)
    if folder is None or not folder.is_dir():
        raise data.missing(
            SOURCE,
            KAGGLE,
            "it is Kaggle's Dogs vs. Cats train/ folder, cat.0.jpg ... dog.12499.jpg",
            fix="accept the competition's rules on Kaggle, run `kaggle competitions download -c "
            "dogs-vs-cats`, unzip it and its train.zip, and put train/ at "
            "<data folder>/datasets/dogs-vs-cats/train (README.md, Data)",
        )
    names = {p.name for p in folder.iterdir()}
    missing = [
        f"{c}.{i}.jpg" for c in CLASSES for i in range(n_per_class) if f"{c}.{i}.jpg" not in names
    ]
    if missing:
        more = f", ... ({len(missing)} in all)" if len(missing) > 5 else ""
        raise BadData(
            folder,
            f"incomplete: {', '.join(missing[:5])}{more} missing",
            f"the split needs cat.0-{n_per_class - 1}.jpg and dog.0-{n_per_class - 1}.jpg "
            "from Kaggle's train/",
            name=data.name(folder),
        )
    data.record(folder, "Dogs vs. Cats (Kaggle train/ originals)")
    return folder


def check_jpeg(path, name=None) -> None:
    """Decode `path` fully (at reduced scale, fast); BadData naming it when it does not, when it
    is not a JPEG, when it is a decompression bomb (more pixels than PIL decodes safely) or when
    its shorter side is under `dlwp.images.MIN_SIDE` pixels (the book's originals have 45 or
    more; the networks resize every photo to their input)."""
    from PIL import UnidentifiedImageError

    from dlwp.images import MIN_SIDE, open_checked

    fix = "replace it with the Kaggle original"
    img = open_checked(path, read_bytes(path, name), MIN_SIDE, name, "JPEG", fix)
    try:
        with img:
            if img.format != "JPEG":
                raise BadData(path, f"not a JPEG (it is {img.format})", "replace it", name)
            img.draft("RGB", (64, 64))
            img.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise BadData(path, f"not a decodable JPEG ({exc})", fix, name) from None


def split_name(split: dict) -> str:
    """The folder name: the book's for its split, another one for any other split."""
    if split == SPLIT:
        return "cats_and_dogs_small"
    return "cats_and_dogs_small_" + "-".join(str(n) for n in split.values())


def split_files(split: dict) -> dict[str, dict[str, list[str]]]:
    """{subset: {class folder: [file names]}}: consecutive index ranges, as in the book."""
    out, start = {}, 0
    for subset, n in split.items():
        out[subset] = {
            f"{cls}s": [f"{cls}.{i}.jpg" for i in range(start, start + n)] for cls in CLASSES
        }
        start += n
    return out


def prepare_split(data: DataFolders, split: dict = SPLIT) -> tuple[Path, int]:
    """Build (or check) the split in the cache; returns (its folder, files copied or removed).

    Idempotent: a file already there with the source's bytes is left alone; a missing or
    different one is copied again (after its source decodes), stray files are removed. Two
    builders of one split take turns (a lock), so the second finds the work done.
    """
    source = find_source(data, sum(split.values()))
    base = data.cache_dir("datasets") / split_name(split)
    changed = 0
    with cache_lock(base):
        for subset, classes in split_files(split).items():
            for folder, names in classes.items():
                target_dir = base / subset / folder
                target_dir.mkdir(parents=True, exist_ok=True)
                for fname in names:
                    src, dst = source / fname, target_dir / fname
                    # compared byte for byte: a photo replaced by another of the same size is
                    # copied again (reading both costs about a second for the book's split)
                    if dst.is_file() and filecmp.cmp(dst, src, shallow=False):
                        continue
                    check_jpeg(src, data.name(src))
                    atomic_write(dst, lambda tmp, src=src: shutil.copyfile(src, tmp))
                    changed += 1
                for stray in {p.name for p in target_dir.iterdir()} - set(names):
                    path = target_dir / stray
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
                    changed += 1
    check_split(base, split)
    data.record(base, "Dogs vs. Cats, the book's small split (made from the Kaggle originals)")
    return base, changed


def check_split(base: Path, split: dict) -> None:
    """UserError unless every `subset/class` folder holds exactly the split's count."""
    for subset, n in split.items():
        for cls in CLASSES:
            sub = base / subset / f"{cls}s"
            found = len(list(sub.glob("*.jpg"))) if sub.is_dir() else 0
            if found != n:
                raise UserError(f"{sub} holds {found} images, not {n}", "prepare the split again")


def count_images(base: Path) -> dict[str, int]:
    """Images per `subset/class` folder, as the book prints them."""
    return {
        f"{subset}/{folder}": len(list((base / subset / folder).glob("*.jpg")))
        for subset in ("train", "validation", "test")
        for folder in ("cats", "dogs")
    }
