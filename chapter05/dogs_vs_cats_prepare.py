"""Dogs vs. Cats: the book's small split, built from Kaggle's training folder.

Deep Learning with Python, section 5.2.2. Kaggle's `train/` folder holds 25,000 photos named
`cat.<i>.jpg` and `dog.<i>.jpg`. The book copies the first 2,000 of each class into
`cats_and_dogs_small/{train,validation,test}/{cats,dogs}/`: indices 0-999 for training, 1000-1499
for validation, 1500-1999 for test (1000 / 500 / 500 per class), then prints the counts.

Here the split is a derived cache in the writable data folder
(`<data>/datasets/cats_and_dogs_small/`, never the read-only source folder). `prepare_split` is
idempotent: a file that is already there with the source's size is left alone, so a second run
copies nothing; a file that is missing or differs is copied again, and stray files are removed.
Every copied source file is decoded first (a file that is not a decodable JPEG stops the run with
its name), and the counts are verified at the end. The training scripts of this chapter call
`prepare_split` themselves, so they also work on their own.

Book: 1000 / 500 / 500 images per class in train / validation / test.

Run:  python chapter05/dogs_vs_cats_prepare.py [--profile smoke|quick|full]
"""

import shutil

from dlwp import cli, datasets, results

SPLIT = {"train": 1000, "validation": 500, "test": 500}  # images per class, in index order
SMOKE_SPLIT = {"train": 6, "validation": 3, "test": 3}  # tiny folders for the tests

PROFILES = {
    "smoke": {"split": SMOKE_SPLIT},
    "quick": {"split": SPLIT},  # copying 4,000 files is cheap: the same as full
    "full": {"split": SPLIT},
}
BOOK = {
    "train/cats": 1000,
    "train/dogs": 1000,
    "validation/cats": 500,
    "validation/dogs": 500,
    "test/cats": 500,
    "test/dogs": 500,
}


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
            f"{cls}s": [f"{cls}.{i}.jpg" for i in range(start, start + n)]
            for cls in datasets.DOGS_VS_CATS_CLASSES
        }
        start += n
    return out


def prepare_split(data_dir=None, split: dict = SPLIT) -> tuple:
    """Build (or check) the split folders; returns (base_dir, number of files copied or removed)."""
    source = datasets.find_dogs_vs_cats_source(sum(split.values()), data_dir)
    base = datasets.dogs_vs_cats_small_dir(split_name(split), data_dir)
    changed = 0
    for subset, classes in split_files(split).items():
        for folder, names in classes.items():
            target_dir = base / subset / folder
            target_dir.mkdir(parents=True, exist_ok=True)
            for name in names:
                src, dst = source / name, target_dir / name
                if dst.is_file() and dst.stat().st_size == src.stat().st_size:
                    continue
                datasets.check_jpeg(src)
                tmp = dst.with_name(f".{name}.tmp")
                shutil.copyfile(src, tmp)
                tmp.replace(dst)
                changed += 1
            for stray in set(p.name for p in target_dir.iterdir()) - set(names):
                path = target_dir / stray
                shutil.rmtree(path) if path.is_dir() else path.unlink()
                changed += 1
    base = datasets.find_dogs_vs_cats_small(split, split_name(split), data_dir)  # verifies counts
    return base, changed


def count_images(base) -> dict[str, int]:
    """Images per `subset/class` folder, as the book prints them."""
    return {
        f"{subset}/{folder}": len(list((base / subset / folder).glob("*.jpg")))
        for subset in ("train", "validation", "test")
        for folder in ("cats", "dogs")
    }


def parse_args(argv=None):
    return cli.parse(cli.parser(__doc__, PROFILES), argv)


def main(argv=None):
    args = parse_args(argv)
    run = results.Run(__file__, args, "Dogs vs. Cats: the small train/validation/test split", BOOK)

    base, copied = prepare_split(args.data_dir, args.split)
    counts = count_images(base)
    for key, n in counts.items():
        print(f"total {key.replace('/', ' ')} images: {n}")
    _, changed_again = prepare_split(args.data_dir, args.split)  # idempotence, checked every run
    print(f"{base}: {copied} files copied; a second pass changed {changed_again}")
    return run.finish(
        {
            **counts,
            "folder": str(base),
            "files_copied": copied,
            "second_run_changes": changed_again,
        }
    )


if __name__ == "__main__":
    main()
