"""Dogs vs. Cats: the book's small split, built from Kaggle's training folder.

Deep Learning with Python, section 5.2.2. Copies the first 2,000 `cat.<i>.jpg` and `dog.<i>.jpg`
of Kaggle's `train/` (25,000 photos) into `cats_and_dogs_small/{train,validation,test}/{cats,dogs}/`
in the cache folder: indices 0-999 for training, 1000-1499 for validation, 1500-1999 for test,
then prints the counts and checks that `prepare_split`, which the training scripts call, finds
nothing to change (`second_run_changes`: 0). A photo that does not decode stops the run, named.

Book: 1000 / 500 / 500 images per class in train / validation / test (notebook 5.2, cells 8-13).

Run:  python chapter05/dogs_vs_cats_prepare.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import shutil

import keras

from dlwp import flags, results
from dlwp.data import dogs_vs_cats

PROFILES = {
    "smoke": {"split": dogs_vs_cats.SMOKE_SPLIT},  # 6 / 3 / 3 per class, for the tests
    "quick": {"split": dogs_vs_cats.SPLIT},  # copying 4,000 files is cheap: the same as full
    "full": {"split": dogs_vs_cats.SPLIT},  # 1000 / 500 / 500 per class
}
BOOK = {  # notebook 5.2, cells 8-13: total training cat images: 1000, ...
    "train/cats": 1000,
    "train/dogs": 1000,
    "validation/cats": 500,
    "validation/dogs": 500,
    "test/cats": 500,
    "test/dogs": 500,
}


def copy_split(original_dataset_dir, base_dir, split) -> int:
    """The book's copy loops (listing 5.4 writes six out, one per subset and class): for each
    subset (train, validation, test) and class (cat, dog), copy `<class>.<i>.jpg` for the subset's
    consecutive index range into `subset/<class>s/`. Returns the number of files copied."""
    copied = 0
    start = 0
    for subset, n_per_class in split.items():
        for cls in dogs_vs_cats.CLASSES:
            target_dir = base_dir / subset / f"{cls}s"  # e.g. train/cats
            # the book's os.mkdir fails on a second run; here a second run copies the files again
            target_dir.mkdir(parents=True, exist_ok=True)
            fnames = [f"{cls}.{i}.jpg" for i in range(start, start + n_per_class)]
            for fname in fnames:
                src = original_dataset_dir / fname
                dst = target_dir / fname
                # a broken photo (not a decodable JPEG, a decompression bomb, under 32 pixels a
                # side) stops the run here, in one line, named as in the data folder
                dogs_vs_cats.check_jpeg(src, f"{dogs_vs_cats.SOURCE}/{fname}")
                shutil.copyfile(src, dst)
                copied += 1
        start += n_per_class
    return copied


def parse_args(argv=None):
    return flags.parse(flags.parser(__doc__, PROFILES), argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Dogs vs. Cats: the small train/validation/test split", BOOK)

    # The original photos (read only) and the split's folder (in the cache):
    # <cache>/datasets/cats_and_dogs_small/
    original_dataset_dir = dogs_vs_cats.find_source(args.folders, sum(args.split.values()))
    base_dir = args.folders.cache_dir("datasets") / dogs_vs_cats.split_name(args.split)

    # Copy, as the book does
    copied = copy_split(original_dataset_dir, base_dir, args.split)
    counts = dogs_vs_cats.count_images(base_dir)
    for key, n in counts.items():
        print(f"total {key.replace('/', ' ')} images: {n}")

    # The training scripts' call on the same folder: it should find nothing to change. It is
    # idempotent: a file already there with the source's size is left alone, a missing or
    # different one is copied again, stray files are removed
    _, changed = dogs_vs_cats.prepare_split(args.folders, args.split)
    folder = args.folders.name(base_dir)
    print(f"{folder}: {copied} files copied; prepare_split changed {changed} after them")
    return run.finish(
        {
            **counts,
            "folder": folder,
            "files_copied": copied,
            "second_run_changes": changed,
        }
    )


if __name__ == "__main__":
    flags.run(main)
