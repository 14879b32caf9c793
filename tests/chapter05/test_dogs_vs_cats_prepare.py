"""Chapter 5.2.2, the small Dogs vs. Cats split: the book's copy loop and dlwp's prepare_split
put each photo of Kaggle's train/ folder in its subset by index (training first), every file
byte for byte; a broken, tiny or decompression-bomb photo in the folder is one line for every
script that reads the split."""

import shutil
from pathlib import Path

import fakedata
import pytest
from fakedata.dogs_vs_cats import smoke_split_names
from fakedata.images import decompression_bomb
from support import file_listing, no_machine_paths, one_error_line, smoke_args

from chapter05 import dogs_vs_cats_augmentation, dogs_vs_cats_from_scratch, dogs_vs_cats_prepare
from dlwp.data import dogs_vs_cats
from dlwp.data.core import TEST_MARKER, DataFolders
from dlwp.errors import BadData, MissingData, UserError

SMOKE_SPLIT = dogs_vs_cats.SMOKE_SPLIT
SMOKE_DIR = dogs_vs_cats.split_name(SMOKE_SPLIT)
SUBSETS = ("train", "validation", "test")


@pytest.fixture
def results_dir(tmp_path):
    """A results folder holding earlier results of the scripts that read the split."""
    out = tmp_path / "results"
    (out / "chapter05" / "models").mkdir(parents=True)
    for script in SPLIT_SCRIPTS:
        name = script.__name__.split(".")[-1]
        (out / "chapter05" / f"{name}.json").write_text('{"profile": "quick"}\n')
    (out / "chapter05" / "models" / "dogs_vs_cats_augmentation.keras").write_bytes(b"earlier")
    return out


def _folders(root, cache) -> DataFolders:
    """The data folders of a run on `root`, with a cache of its own (marked made-for-tests)."""
    cache.mkdir(parents=True, exist_ok=True)
    (cache / TEST_MARKER).write_text("test cache\n")
    return DataFolders.resolve(root, environ={"DLWP_CACHE_DIR": str(cache), "DLWP_OFFLINE": "1"})


def _copy_source(ch5_data, tmp_path):
    root = fakedata.new_data_root(tmp_path / "data")
    shutil.copytree(ch5_data / "datasets" / "dogs-vs-cats", root / "datasets" / "dogs-vs-cats")
    return root


def _tree(base: Path) -> dict[str, bytes]:
    """Every file under `base`, by its path relative to `base`, with its bytes."""
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def _expected_tree(source: Path) -> dict[str, bytes]:
    """The smoke split as the book lays it out, read from the source folder: subset/cats/...,
    subset/dogs/..., each file the original's bytes."""
    return {
        f"{subset}/{name.split('.')[0]}s/{name}": (source / name).read_bytes()
        for subset in SUBSETS
        for name in smoke_split_names(subset)
    }


def test_dogs_vs_cats_prepare_book_numbers_are_the_notebooks():
    assert dogs_vs_cats_prepare.BOOK == {  # 5.2, cells 8-13: "total training cat images: 1000"
        "train/cats": 1000,
        "train/dogs": 1000,
        "validation/cats": 500,
        "validation/dogs": 500,
        "test/cats": 500,
        "test/dogs": 500,
    }
    assert dogs_vs_cats_prepare.PROFILES["full"]["split"] == {
        "train": 1000,
        "validation": 500,
        "test": 500,
    }
    assert dogs_vs_cats_prepare.PROFILES["quick"]["split"] == dogs_vs_cats.SPLIT
    assert dogs_vs_cats_prepare.PROFILES["smoke"]["split"] == SMOKE_SPLIT


def test_split_files_follow_the_book_indices():
    files = dogs_vs_cats.split_files(dogs_vs_cats.SPLIT)
    for subset, (first, last) in {
        "train": (0, 999),
        "validation": (1000, 1499),
        "test": (1500, 1999),
    }.items():
        for cls in ("cat", "dog"):
            expected = [f"{cls}.{i}.jpg" for i in range(first, last + 1)]
            assert files[subset][f"{cls}s"] == expected
    assert dogs_vs_cats.split_name(dogs_vs_cats.SPLIT) == "cats_and_dogs_small"


def test_copy_loop_equals_prepare_split_for_the_book_split(tmp_path):
    """The script's loop and dlwp's prepare_split give the same 4,000 files, byte for byte, each
    where the book puts it."""
    root = fakedata.new_data_root(tmp_path / "data")
    source = fakedata.write_dogs_vs_cats_stubs(root, 2100)  # 2000-2099: not in the split
    data = _folders(root, tmp_path / "cache")
    expected, copied = dogs_vs_cats.prepare_split(data, dogs_vs_cats.SPLIT)
    assert copied == 4000
    loop_dir = tmp_path / "loop" / "cats_and_dogs_small"
    assert dogs_vs_cats_prepare.copy_split(source, loop_dir, dogs_vs_cats.SPLIT) == 4000
    tree = _tree(loop_dir)
    assert tree == _tree(expected) and len(tree) == 4000
    # each stub ends with its own name: every file is the original of its name
    assert all(content.endswith(path.split("/")[-1].encode()) for path, content in tree.items())
    ranges = {"train": range(0, 1000), "validation": range(1000, 1500), "test": range(1500, 2000)}
    assert set(tree) == {
        f"{subset}/{cls}s/{cls}.{i}.jpg"
        for subset, indices in ranges.items()
        for cls in ("cat", "dog")
        for i in indices
    }


def test_prepare_smoke_puts_each_photo_in_its_subset(ch5_data, tmp_path, monkeypatch):
    """The script, with a cache of its own: the book's layout, each file the original's bytes,
    and prepare_split (in another cache) agrees."""
    out_dir = tmp_path / "results"
    script_cache = tmp_path / "script_cache"
    script_cache.mkdir()
    (script_cache / TEST_MARKER).write_text("test cache\n")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(script_cache))
    result = dogs_vs_cats_prepare.main(smoke_args(ch5_data, out_dir))
    m = result["metrics"]
    assert [m[k] for k in dogs_vs_cats_prepare.BOOK] == [6, 6, 3, 3, 3, 3]
    assert m["folder"] == f"datasets/{SMOKE_DIR}"
    assert m["files_copied"] == 24
    assert m["second_run_changes"] == 0  # prepare_split found the loop's split complete
    base = script_cache / m["folder"]
    source = ch5_data / "datasets" / "dogs-vs-cats" / "train"
    assert _tree(base) == _expected_tree(source)
    expected, _ = dogs_vs_cats.prepare_split(
        _folders(ch5_data, tmp_path / "lib_cache"), SMOKE_SPLIT
    )
    assert _tree(base) == _tree(expected)
    assert not list((ch5_data / "datasets").glob("cats_and_dogs_small*"))  # source untouched
    assert all(s["kind"] == "made-for-tests" for s in result["data"])
    assert f"datasets/{SMOKE_DIR}" in [s["file"] for s in result["data"]]
    no_machine_paths(result, ch5_data, out_dir, script_cache)
    # a second run copies again (the book's loop does) and still agrees with prepare_split
    again = dogs_vs_cats_prepare.main(smoke_args(ch5_data, out_dir))["metrics"]
    assert again["files_copied"] == 24 and again["second_run_changes"] == 0
    assert _tree(base) == _expected_tree(source)


def test_copy_loop_names_a_broken_photo(ch5_data, tmp_path):
    root = _copy_source(ch5_data, tmp_path)
    source = root / "datasets" / "dogs-vs-cats" / "train"
    data = (source / "cat.4.jpg").read_bytes()
    (source / "cat.4.jpg").write_bytes(data[: len(data) // 3])  # truncated JPEG
    with pytest.raises(BadData, match=r"cat\.4\.jpg: not a decodable JPEG"):
        dogs_vs_cats_prepare.copy_split(source, tmp_path / "split", SMOKE_SPLIT)


def test_prepare_split_is_idempotent(ch5_data, tmp_path):
    data = _folders(ch5_data, tmp_path / "cache")
    base, copied = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    assert copied == 24 and base == tmp_path / "cache" / "datasets" / SMOKE_DIR
    assert _tree(base) == _expected_tree(ch5_data / "datasets" / "dogs-vs-cats" / "train")
    stamps = {p: p.stat().st_mtime_ns for p in base.rglob("*.jpg")}
    assert dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)[1] == 0
    assert {p: p.stat().st_mtime_ns for p in base.rglob("*.jpg")} == stamps
    assert dogs_vs_cats.count_images(base) == {
        "train/cats": 6,
        "train/dogs": 6,
        "validation/cats": 3,
        "validation/dogs": 3,
        "test/cats": 3,
        "test/dogs": 3,
    }


def test_prepare_split_repairs_a_damaged_split(ch5_data, tmp_path):
    data = _folders(_copy_source(ch5_data, tmp_path), tmp_path / "cache")
    base, copied = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    assert copied == 24
    (base / "train" / "cats" / "cat.0.jpg").unlink()
    (base / "train" / "cats" / "stray.jpg").write_bytes(b"x")
    (base / "validation" / "dogs" / "dog.6.jpg").write_bytes(b"truncated")
    _, changed = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    assert changed == 3
    assert dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)[1] == 0
    assert _tree(base) == _expected_tree(ch5_data / "datasets" / "dogs-vs-cats" / "train")


def test_prepare_split_copies_a_replaced_photo_of_the_same_size_again(ch5_data, tmp_path):
    """The split is derived from the source photos: one replaced by another photo of the same
    size (a later file) is copied again, never left stale."""
    source = _copy_source(ch5_data, tmp_path)
    data = _folders(source, tmp_path / "cache")
    base, _ = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    photo = source / "datasets" / "dogs-vs-cats" / "train" / "cat.1.jpg"
    other = source / "datasets" / "dogs-vs-cats" / "train" / "cat.2.jpg"
    new = bytearray(photo.read_bytes())
    new[-3] ^= 0xFF  # a byte before the end marker: the same size, another photo
    photo.write_bytes(bytes(new))
    assert photo.stat().st_size == len(new) and photo.read_bytes() != other.read_bytes()
    _, changed = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    assert changed == 1
    assert (base / "train" / "cats" / "cat.1.jpg").read_bytes() == bytes(new)


def test_prepare_split_errors_name_the_problem(ch5_data, tmp_path, empty_data):
    with pytest.raises(MissingData) as exc:
        dogs_vs_cats.prepare_split(_folders(empty_data, tmp_path / "c0"), SMOKE_SPLIT)
    assert exc.value.files == ["datasets/dogs-vs-cats/train"]
    assert "kaggle" in exc.value.fix.lower()
    root = _copy_source(ch5_data, tmp_path)
    data = _folders(root, tmp_path / "cache")
    (root / "datasets" / "dogs-vs-cats" / "train" / "dog.7.jpg").unlink()
    with pytest.raises(BadData, match=r"incomplete: dog\.7\.jpg missing"):
        dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    source = root / "datasets" / "dogs-vs-cats" / "train"
    fakedata.jpeg(source / "dog.7.jpg", (0, 0, 0), (40, 40))
    jpeg_bytes = (source / "cat.4.jpg").read_bytes()
    (source / "cat.4.jpg").write_bytes(jpeg_bytes[: len(jpeg_bytes) // 3])  # truncated JPEG
    with pytest.raises(BadData, match=r"cat\.4\.jpg: not a decodable JPEG") as exc:
        dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    assert exc.value.fields["file"] == "datasets/dogs-vs-cats/train/cat.4.jpg"
    (source / "cat.4.jpg").write_bytes(b"GIF89a not a jpeg")
    with pytest.raises(BadData, match=r"cat\.4\.jpg: not a decodable JPEG"):
        dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)


def test_check_split_checks_counts(ch5_data, tmp_path):
    data = _folders(ch5_data, tmp_path / "cache")
    with pytest.raises(UserError, match="holds 0 images, not 6"):
        dogs_vs_cats.check_split(tmp_path / "cache" / "datasets" / SMOKE_DIR, SMOKE_SPLIT)
    base, _ = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    dogs_vs_cats.check_split(base, SMOKE_SPLIT)
    (base / "test" / "cats" / "cat.9.jpg").unlink()
    with pytest.raises(UserError, match="holds 2 images, not 3"):
        dogs_vs_cats.check_split(base, SMOKE_SPLIT)


def _tiny(path):
    fakedata.jpeg(path, (180, 90, 60), (40, 20))  # 20 pixels high: under dlwp.images.MIN_SIDE


def _bomb(path):  # a header of 20000 x 20000 pixels: more than twice PIL's limit
    decompression_bomb(path, 20000, 20000)


def _bomb_warning(path):  # 10000 x 9000: over PIL's limit, under twice it (PIL only warns)
    decompression_bomb(path, 10000, 9000)


BROKEN_PHOTOS = {  # a photo of the smoke split, what is in its place, what the line says
    "zero-byte": ("cat.4.jpg", lambda p: p.write_bytes(b""), "not a decodable JPEG"),
    "text": (
        "dog.7.jpg",
        lambda p: p.write_text("not a photo: a note saved as dog.7.jpg\n"),
        "not a decodable JPEG",
    ),
    "tiny": ("dog.1.jpg", _tiny, "40x20 pixels, too small for the network"),
    "bomb": ("cat.10.jpg", _bomb, "too large to decode safely"),
    "bomb-warning": ("dog.8.jpg", _bomb_warning, "too large to decode safely"),
}
SPLIT_SCRIPTS = [dogs_vs_cats_prepare, dogs_vs_cats_from_scratch, dogs_vs_cats_augmentation]


@pytest.mark.parametrize("script", SPLIT_SCRIPTS, ids=lambda m: m.__name__.split(".")[-1])
@pytest.mark.parametrize("case", BROKEN_PHOTOS)
def test_a_bad_photo_in_the_source_is_one_line(
    case, script, ch5_data, tmp_path, results_dir, capsys, monkeypatch
):
    name, write, what = BROKEN_PHOTOS[case]
    root = _copy_source(ch5_data, tmp_path)
    write(root / "datasets" / "dogs-vs-cats" / "train" / name)
    source_before = file_listing(root)
    monkeypatch.setenv("DLWP_CACHE_DIR", str(tmp_path / "cache"))  # the split is made here
    checked = (results_dir, capsys, monkeypatch, tmp_path)
    line, fields = one_error_line(script.main, smoke_args(root, results_dir), *checked)
    assert f"datasets/dogs-vs-cats/train/{name}: {what}" in line
    assert "replace it with the Kaggle original" in line
    assert fields["kind"] == "bad input"
    assert fields["file"] == f"datasets/dogs-vs-cats/train/{name}"
    assert str(tmp_path) not in fields["problem"]
    assert file_listing(root) == source_before  # the data folder is only read
