"""Chapter 5: mnist_convnet, dogs_vs_cats_prepare, dogs_vs_cats_from_scratch,
dogs_vs_cats_augmentation, vgg16_feature_extraction, vgg16_feature_extraction_augmented,
vgg16_fine_tuning, visualize_activations, visualize_filters, grad_cam: unit tests of the named
functions, a smoke run of every script on tiny JPEG folders, the book's copy loop against
`dlwp.data.dogs_vs_cats.prepare_split`, the in-memory image pipeline, the error paths, and a
real-data tier."""

import ast
import io
import json
import math
import shutil
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import fakedata
import keras
import numpy as np
import pytest
from conftest import REPO_ROOT, smoke_args
from keras import layers

from chapter05 import (
    dogs_vs_cats_augmentation,
    dogs_vs_cats_from_scratch,
    dogs_vs_cats_prepare,
    grad_cam,
    mnist_convnet,
    vgg16_feature_extraction,
    vgg16_feature_extraction_augmented,
    vgg16_fine_tuning,
    visualize_activations,
    visualize_filters,
)
from dlwp import image_pipelines
from dlwp.data import dogs_vs_cats, imagenet
from dlwp.data.core import TEST_MARKER, DataFolders
from dlwp.errors import BadData, MissingData, UserError
from dlwp.history import smooth_curve
from dlwp.images import load_image_array

SMOKE_SPLIT = dogs_vs_cats.SMOKE_SPLIT
SMOKE_DIR = dogs_vs_cats.split_name(SMOKE_SPLIT)
SCRIPTS = sorted((REPO_ROOT / "chapter05").glob("*.py"))


@pytest.fixture(scope="session")
def ch5_data(tmp_path_factory):
    """Tiny Kaggle-style folder (cat/dog.0-11.jpg), an elephant JPEG, a class index."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("ch5_data"))
    fakedata.write_dogs_vs_cats(root)
    fakedata.write_elephant(root)
    fakedata.write_class_index(root)
    return root


@pytest.fixture(scope="session")
def tiny_convnet(tmp_path_factory):
    """The augmentation script's convnet at 48x48 (its smallest size), untrained, saved."""
    path = tmp_path_factory.mktemp("models") / "tiny_convnet.keras"
    model = dogs_vs_cats_augmentation.build_model(48)
    model.save(path)
    return path


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


def _no_machine_paths(result: dict, *folders):
    """No folder of this machine is named in a results dict (what the JSON file holds)."""
    text = json.dumps(result)
    for folder in folders:
        assert str(Path(folder).resolve()) not in text and str(folder) not in text


# ---- the scripts stand alone -------------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_scripts_import_no_other_chapter_module(script):
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{script.name}: relative import"
            imported.append(node.module)
    chapters = [name for name in imported if name.startswith("chapter")]
    assert not chapters, f"{script.name} imports {chapters}"
    text = script.read_text(encoding="utf-8")
    assert "matplotlib.use" not in text and "pyplot" not in text


# ---- mnist_convnet -----------------------------------------------------------------------------


def test_mnist_convnet_has_93322_parameters():
    model = mnist_convnet.build_model()
    assert model.count_params() == 93322
    assert model.output_shape == (None, 10)
    text = io.StringIO()
    with redirect_stdout(text):
        model.summary()
    assert "93,322" in text.getvalue()


def test_mnist_convnet_smoke(tiny_data, out_dir):
    result = mnist_convnet.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["params"] == 93322 and 0 <= m["test_accuracy"] <= 1
    assert math.isfinite(m["test_loss"])
    assert (out_dir / "chapter05" / "mnist_convnet.smoke.json").exists()
    _no_machine_paths(result, tiny_data, out_dir)


# ---- dogs_vs_cats_prepare: the book's copy loop, and dlwp's prepare_split ----------------------


def test_split_files_follow_the_book_indices():
    files = dogs_vs_cats.split_files(dogs_vs_cats.SPLIT)
    assert files["train"]["cats"][0] == "cat.0.jpg" and files["train"]["cats"][-1] == "cat.999.jpg"
    assert files["validation"]["dogs"][0] == "dog.1000.jpg"
    assert files["validation"]["dogs"][-1] == "dog.1499.jpg"
    assert (
        files["test"]["cats"][0] == "cat.1500.jpg" and files["test"]["cats"][-1] == "cat.1999.jpg"
    )
    assert [len(files[s]["dogs"]) for s in ("train", "validation", "test")] == [1000, 500, 500]
    assert dogs_vs_cats.split_name(dogs_vs_cats.SPLIT) == "cats_and_dogs_small"
    assert dogs_vs_cats_prepare.PROFILES["full"]["split"] == dogs_vs_cats.SPLIT


def test_copy_loop_equals_prepare_split_for_the_book_split(tmp_path):
    """The script's loop and dlwp's prepare_split give the same 4,000 files, byte for byte."""
    root = fakedata.new_data_root(tmp_path / "data")
    source = fakedata.write_dogs_vs_cats_stubs(root, 2100)  # 2000-2099: not in the split
    data = _folders(root, tmp_path / "cache")
    expected, copied = dogs_vs_cats.prepare_split(data, dogs_vs_cats.SPLIT)
    assert copied == 4000
    loop_dir = tmp_path / "loop" / "cats_and_dogs_small"
    assert dogs_vs_cats_prepare.copy_split(source, loop_dir, dogs_vs_cats.SPLIT) == 4000
    assert _tree(loop_dir) == _tree(expected)
    assert len(_tree(loop_dir)) == 4000
    assert (
        (loop_dir / "validation" / "dogs" / "dog.1000.jpg").read_bytes().endswith(b"dog.1000.jpg")
    )


def test_prepare_smoke_equals_prepare_split(ch5_data, out_dir, tmp_path, monkeypatch):
    """The script, with a cache of its own, against prepare_split in another cache."""
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
    assert sorted(p.name for p in (base / "test" / "dogs").iterdir()) == [
        "dog.10.jpg",
        "dog.11.jpg",
        "dog.9.jpg",
    ]
    expected, _ = dogs_vs_cats.prepare_split(
        _folders(ch5_data, tmp_path / "lib_cache"), SMOKE_SPLIT
    )
    assert _tree(base) == _tree(expected)
    assert not list((ch5_data / "datasets").glob("cats_and_dogs_small*"))  # source untouched
    assert all(s["kind"] == "made-for-tests" for s in result["data"])
    assert f"datasets/{SMOKE_DIR}" in [s["file"] for s in result["data"]]
    _no_machine_paths(result, ch5_data, out_dir, script_cache)
    # a second run copies again (the book's loop does) and still agrees with prepare_split
    again = dogs_vs_cats_prepare.main(smoke_args(ch5_data, out_dir))["metrics"]
    assert again["files_copied"] == 24 and again["second_run_changes"] == 0
    assert _tree(base) == _tree(expected)


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
    fakedata.jpeg(source / "dog.7.jpg", (0, 0, 0))
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


# ---- the input pipeline, from scratch, augmentation --------------------------------------------


def _read_folder(directory, size):
    return keras.utils.image_dataset_from_directory(
        directory,
        label_mode="binary",
        image_size=(size, size),
        batch_size=None,
        shuffle=False,
        verbose=False,
    )


def test_in_memory_pipeline_shapes_labels_and_cache(ch5_data, tmp_path):
    base, _ = dogs_vs_cats.prepare_split(_folders(ch5_data, tmp_path / "cache"), SMOKE_SPLIT)
    test_ds = image_pipelines.in_memory(_read_folder(base / "test", 24), batch_size=4)
    x, y = next(iter(test_ds))
    assert x.shape == (4, 24, 24, 3) and x.dtype == "uint8" and y.shape == (4, 1)
    labels = np.concatenate([y.numpy().ravel() for _, y in test_ds])
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]  # cats 0, dogs 1
    # cats are reddish, dogs bluish in the fake data: the labels belong to the pixels
    means = np.concatenate([x.numpy().mean(axis=(1, 2)) for x, _ in test_ds])
    assert (means[:3, 0] > means[:3, 2]).all() and (means[3:, 2] > means[3:, 0]).all()
    train_ds = image_pipelines.in_memory(_read_folder(base / "train", 24), 4, shuffle_seed=1)
    epoch1 = np.concatenate([y.numpy().ravel() for _, y in train_ds])
    epoch2 = np.concatenate([y.numpy().ravel() for _, y in train_ds])
    assert sorted(epoch1.tolist()) == [0] * 6 + [1] * 6
    assert epoch1.tolist() != [0] * 6 + [1] * 6 or epoch2.tolist() != [0] * 6 + [1] * 6
    speed = image_pipelines.throughput(train_ds)
    assert speed["first_pass_images_per_s"] > 0 and speed["cached_images_per_s"] > 0
    batched = keras.utils.image_dataset_from_directory(
        base / "test", label_mode="binary", image_size=(24, 24), batch_size=4, verbose=False
    )
    with pytest.raises(ValueError, match="batch_size=None"):
        image_pipelines.in_memory(batched, 4)


def test_from_scratch_smoke(ch5_data, out_dir):
    result = dogs_vs_cats_from_scratch.main(smoke_args(ch5_data, out_dir))
    m = result["metrics"]
    assert 0 <= m["best_val_accuracy"] <= 1 and set(m["history"]) >= {"loss", "val_accuracy"}
    assert m["best_val_epoch"] == 1 and 0 <= m["final_train_accuracy"] <= 1
    assert m["pipeline"]["cached_images_per_s"] > 0
    assert (out_dir / "chapter05" / "dogs_vs_cats_from_scratch.smoke_curves.png").exists()
    assert m["model_file"] == "chapter05/models/dogs_vs_cats_from_scratch.smoke.keras"
    model = keras.models.load_model(out_dir / m["model_file"])
    assert model.input_shape == (None, 48, 48, 3)
    _no_machine_paths(result, ch5_data, out_dir)


def test_augmentation_layers_and_preview():
    augment = dogs_vs_cats_augmentation.data_augmentation()
    kinds = [type(layer).__name__ for layer in augment.layers]
    assert kinds == [
        "RandomRotation",
        "RandomTranslation",
        "RandomShear",
        "RandomZoom",
        "RandomFlip",
    ]
    assert augment.layers[0].factor == (-40 / 360, 40 / 360)
    image = np.tile(np.linspace(0, 255, 32, dtype="float32")[None, :, None], (32, 1, 3))
    image[8:16, 4:12] = [255, 0, 0]
    fig, copies = dogs_vs_cats_augmentation.preview_augmentation(augment, image, copies=3)
    assert copies.shape == (3, 32, 32, 3) and len(fig.axes) == 4
    assert all(np.abs(c - image).mean() > 1 for c in copies)  # each copy is transformed
    passthrough = keras.ops.convert_to_numpy(augment(image[None], training=False))
    assert np.allclose(passthrough[0], image)  # inactive outside training


def test_the_augmentation_is_the_same_in_every_script():
    def describe(augment):
        return [(type(layer).__name__, layer.get_config()) for layer in augment.layers]

    def normalized(augment):
        return [
            (kind, {k: v for k, v in c.items() if k != "name"}) for kind, c in describe(augment)
        ]

    book = normalized(dogs_vs_cats_augmentation.data_augmentation())
    assert normalized(vgg16_feature_extraction_augmented.data_augmentation()) == book
    assert normalized(vgg16_fine_tuning.data_augmentation()) == book


def test_augmentation_smoke(ch5_data, out_dir):
    result = dogs_vs_cats_augmentation.main(smoke_args(ch5_data, out_dir))
    m = result["metrics"]
    assert 0 <= m["final_val_accuracy"] <= 1 and math.isfinite(m["history"]["loss"][0])
    for suffix in ("_preview.png", "_curves.png"):
        assert (out_dir / "chapter05" / f"dogs_vs_cats_augmentation.smoke{suffix}").exists()
    assert (out_dir / m["model_file"]).is_file()
    _no_machine_paths(result, ch5_data, out_dir)


# ---- transfer learning -------------------------------------------------------------------------


def test_vgg16_default_without_weights_is_a_clear_error(ch5_data, out_dir):
    with pytest.raises(MissingData) as exc:
        vgg16_feature_extraction.main(
            ["--data-dir", str(ch5_data), "--output-dir", str(out_dir), "--profile", "smoke"]
        )
    assert exc.value.files == ["models/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"]
    assert "downloads are off" in str(exc.value)


def test_a_wrong_weights_file_is_one_line(ch5_data, out_dir, tmp_path):
    wrong = tmp_path / "not_weights.h5"
    wrong.write_bytes(b"not an HDF5 file")
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", str(wrong))
    with pytest.raises(BadData, match="not loadable as the MobileNet") as exc:
        vgg16_fine_tuning.main(args)
    assert exc.value.fields["file"] == "not_weights.h5"
    with pytest.raises(UserError, match="--weights .*: no such file"):
        vgg16_feature_extraction.main([*args[:-1], str(tmp_path / "missing.h5")])


def test_vgg16_feature_extraction_smoke(ch5_data, out_dir):
    result = vgg16_feature_extraction.main(smoke_args(ch5_data, out_dir, "--weights", "none"))
    m = result["metrics"]
    assert m["features_shape"] == {
        "train": [12, 1, 1, 512],
        "validation": [6, 1, 1, 512],
        "test": [6, 1, 1, 512],
    }
    assert 0 <= m["test_accuracy"] <= 1 and result["variant"] is None
    model = keras.models.load_model(out_dir / m["model_file"])
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 1)
    _no_machine_paths(result, ch5_data, out_dir)


def test_mobilenet_feature_extraction_smoke(ch5_data, out_dir):
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    result = vgg16_feature_extraction.main(args)
    assert result["metrics"]["features_shape"]["train"] == [12, 1, 1, 256]
    assert result["exercise"] == "chapter05/vgg16_feature_extraction@mobilenet"
    assert (out_dir / "chapter05" / "vgg16_feature_extraction@mobilenet.smoke.json").exists()


def test_feature_extraction_augmented_smoke_counts_like_the_book(ch5_data, out_dir):
    result = vgg16_feature_extraction_augmented.main(
        smoke_args(ch5_data, out_dir, "--weights", "none")
    )
    m = result["metrics"]
    assert m["trainable_weights_before_freezing"] == 30  # the book's counts, VGG16
    assert m["trainable_weights_after_freezing"] == 4
    assert 0 <= m["test_accuracy"] <= 1 and result["variant"] is None
    _no_machine_paths(result, ch5_data, out_dir)


def test_feature_extraction_augmented_mobilenet_smoke(ch5_data, out_dir):
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    result = vgg16_feature_extraction_augmented.main(args)
    m = result["metrics"]
    assert m["trainable_weights_after_freezing"] == 4
    assert m["trainable_weights_before_freezing"] > 4
    assert result["exercise"] == "chapter05/vgg16_feature_extraction_augmented@mobilenet"


def test_set_trainable_from_unfreezes_the_last_block():
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    names = vgg16_fine_tuning.set_trainable_from(vgg, "block5_conv1")
    assert names == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert len(vgg.trainable_weights) == 6
    mobilenet = keras.applications.MobileNet(
        input_shape=(32, 32, 3), alpha=0.25, include_top=False, weights=None
    )
    names = vgg16_fine_tuning.set_trainable_from(mobilenet, "conv_dw_13")
    assert names == ["conv_dw_13", "conv_pw_13"]  # batch norm stays frozen
    with pytest.raises(ValueError):
        vgg16_fine_tuning.set_trainable_from(vgg, "no_such_layer")


def test_smooth_curve():
    assert smooth_curve([1.0, 0.0, 0.0]) == pytest.approx([1.0, 0.8, 0.64])


def test_fine_tuning_smoke(ch5_data, out_dir):
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    result = vgg16_fine_tuning.main(args)
    m = result["metrics"]
    assert m["unfrozen_layers"] == ["conv_dw_13", "conv_pw_13"]
    assert m["trainable_weights_fine_tuning"] == 2 + 4  # two conv kernels + the classifier
    assert 0 <= m["test_accuracy"] <= 1 and 0 <= m["val_accuracy_before_fine_tuning"] <= 1
    assert m["smoothed_val_accuracy"] == [round(m["history"]["val_accuracy"][0], 4)]
    assert (out_dir / "chapter05" / "vgg16_fine_tuning@mobilenet.smoke_curves.png").exists()
    _no_machine_paths(result, ch5_data, out_dir)


# ---- visualizations ----------------------------------------------------------------------------


def test_channel_grid_layout_and_range():
    act = np.random.default_rng(0).normal(size=(1, 5, 4, 20)).astype("float32")
    act[0, :, :, 3] = 7.0  # a constant channel
    grid = visualize_activations.channel_grid(act, images_per_row=16)
    assert grid.shape == (2 * 5, 16 * 4) and grid.dtype == np.uint8
    assert (grid[0:5, 12:16] == 128).all()  # constant -> mid gray
    assert grid[5:10, 16:].sum() == 0  # unused cells stay black
    assert grid.max() > 200 and grid.min() < 50


def test_visualize_activations_smoke(ch5_data, out_dir, tiny_convnet):
    args = smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet), "--image")
    result = visualize_activations.main([*args, "datasets/dogs-vs-cats/train/cat.11.jpg"])
    m = result["metrics"]
    assert m["layers_shown"] == 8
    assert m["first_layer_activation_shape"] == [1, 46, 46, 32]
    assert m["image"] == "datasets/dogs-vs-cats/train/cat.11.jpg"
    assert m["model"] == "tiny_convnet.keras"  # outside the output folder: its name
    assert (out_dir / "chapter05" / "visualize_activations.smoke.png").exists()
    _no_machine_paths(result, ch5_data, out_dir, tiny_convnet.parent)


def test_visualize_activations_default_model_and_errors(ch5_data, out_dir, tiny_convnet):
    with pytest.raises(UserError, match="no trained model at") as exc:
        visualize_activations.main(smoke_args(ch5_data, out_dir))
    assert "run chapter05/dogs_vs_cats_augmentation.py first" in exc.value.fix
    default = out_dir / visualize_activations.DEFAULT_MODEL
    default.parent.mkdir(parents=True)
    default.write_bytes(b"not a model")
    with pytest.raises(BadData, match="not a loadable Keras model"):
        visualize_activations.main(smoke_args(ch5_data, out_dir))
    shutil.copyfile(tiny_convnet, default)
    args = smoke_args(ch5_data, out_dir, "--image", "datasets/dogs-vs-cats/train/dog.0.jpg")
    m = visualize_activations.main(args)["metrics"]
    assert m["model"] == "chapter05/models/dogs_vs_cats_augmentation.keras"
    with pytest.raises(UserError, match="--image no/such.jpg: no such file"):
        visualize_activations.main(smoke_args(ch5_data, out_dir, "--image", "no/such.jpg"))


def test_generate_patterns_raise_their_filter():
    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3)])
    start = visualize_filters.generate_patterns(model, [0, 1, 2, 3], size=16, steps=0)
    end = visualize_filters.generate_patterns(model, [0, 1, 2, 3], size=16, steps=5)
    before, after = np.asarray(model(start)), np.asarray(model(end))
    for i in range(4):  # image i's own filter went up
        assert after[i, ..., i].mean() > before[i, ..., i].mean() + 1
    image = visualize_filters.deprocess_image(end[0])
    assert image.dtype == np.uint8 and image.shape == (16, 16, 3)
    assert visualize_filters.pattern_grid(np.stack([image] * 10)).shape == (
        2 * 16 + 5,
        8 * 21 - 5,
        3,
    )


def test_visualize_filters_smoke(ch5_data, out_dir, tiny_convnet):
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    result = visualize_filters.main(args)
    m = result["metrics"]
    assert m["layers"] == visualize_filters.LAYERS["mobilenet"] and m["filters"] == 4
    assert (out_dir / "chapter05" / "visualize_filters@mobilenet.smoke.png").exists()
    _no_machine_paths(result, ch5_data, out_dir)
    m = visualize_filters.main(smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet)))[
        "metrics"
    ]
    assert len(m["layers"]) == 4 and all(n.startswith("conv2d") for n in m["layers"])
    with pytest.raises(UserError, match="has no layer 'nope'"):
        visualize_filters.main(
            smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet), "--layers", "nope")
        )


def _spot_classifier():
    """A fixed 'classifier' whose one conv channel is the pixel brightness."""
    inputs = keras.Input((16, 16, 3))
    conv = layers.Conv2D(1, 1, name="conv", kernel_initializer="ones", use_bias=False)(inputs)
    pooled = layers.GlobalAveragePooling2D()(conv)
    out = layers.Dense(1, activation="sigmoid", kernel_initializer="ones")(pooled)
    return keras.Model(inputs, out)


def test_gradcam_heatmap_points_at_the_evidence():
    model = _spot_classifier()
    image = np.zeros((1, 16, 16, 3), "float32")
    image[0, 2:5, 10:13] = 0.5  # the only evidence for class 1
    grad_model = grad_cam.gradcam_model(model, grad_cam.last_conv_layer(model))
    heatmap, cls, score = grad_cam.make_gradcam_heatmap(grad_model, image)
    assert cls == 1 and 0.5 < score < 1 and heatmap.shape == (16, 16)
    assert heatmap.min() == 0 and heatmap.max() == pytest.approx(1.0)
    assert np.unravel_index(heatmap.argmax(), heatmap.shape)[0] in (2, 3, 4)
    assert heatmap[2:5, 10:13].min() > 0.99 and heatmap[8:, :8].max() == 0
    # the other class: the evidence counts against it, so the ReLU'd map is empty
    heatmap0, _, score0 = grad_cam.make_gradcam_heatmap(grad_model, image, class_index=0)
    assert score0 == pytest.approx(1 - score, abs=1e-6) and heatmap0.max() == 0
    overlay = grad_cam.superimpose(np.full((40, 30, 3), 100.0), heatmap)
    assert overlay.shape == (40, 30, 3) and overlay.dtype == np.uint8
    assert overlay.std() > 1  # not a constant image
    with pytest.raises(UserError, match="has no layer 'nope'"):
        grad_cam.gradcam_model(model, "nope")


def test_grad_cam_vgg16_smoke(ch5_data, out_dir):
    result = grad_cam.main(smoke_args(ch5_data, out_dir, "--weights", "none"))
    m = result["metrics"]
    assert m["layer"] == "block5_conv3" and m["heatmap_shape"] == [14, 14]
    assert 0 <= m["heatmap_mean"] <= 1 and 0 <= m["class_index"] < 1000
    assert m["top_class"].startswith("class_") or m["top_class"] == "African_elephant"
    assert m["image"] == "datasets/images/creative_commons_elephant.jpg"
    for suffix in ("_heatmap.png", "_overlay.png"):
        assert (out_dir / "chapter05" / f"grad_cam.smoke{suffix}").exists()
    assert result["figures"] == [
        "chapter05/grad_cam.smoke_heatmap.png",
        "chapter05/grad_cam.smoke_overlay.png",
    ]
    _no_machine_paths(result, ch5_data, out_dir)


def test_grad_cam_model_smoke(ch5_data, out_dir, tiny_convnet):
    args = smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet), "--image")
    result = grad_cam.main([*args, "datasets/dogs-vs-cats/train/dog.10.jpg"])
    m = result["metrics"]
    assert m["layer"].startswith("conv2d") and m["top_class"] in ("cat", "dog")
    assert m["heatmap_shape"] == [2, 2] and 0 <= m["top_score"] <= 1
    assert result["exercise"] == "chapter05/grad_cam@tiny_convnet"
    with pytest.raises(UserError, match="no trained model"):
        grad_cam.main(smoke_args(ch5_data, out_dir, "--model", str(out_dir / "none.keras")))


# ---- real data ---------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_source_and_mobilenet_weights(real_data):
    data = DataFolders.resolve(real_data)
    folder = dogs_vs_cats.find_source(data, 2000)
    for name in ("cat.0.jpg", "dog.1999.jpg"):
        dogs_vs_cats.check_jpeg(folder / name)
    args = SimpleNamespace(data=data, base="mobilenet", weights="imagenet")
    base = vgg16_feature_extraction.build_conv_base(args, 160)
    assert base.output_shape == (None, 5, 5, 256)
    assert any(r["file"].startswith("models/mobilenet") for r in data.read)
    image = load_image_array(folder / "dog.1500.jpg", (160, 160))
    features = base(vgg16_feature_extraction.input_scaling("mobilenet")(image[None]))
    assert np.isfinite(np.asarray(features)).all() and np.asarray(features).std() > 0
    assert imagenet.WEIGHTS[("mobilenet", False)][0] == "mobilenet_2_5_224_tf_no_top.h5"
