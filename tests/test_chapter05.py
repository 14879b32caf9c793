"""Chapter 5: mnist_convnet, dogs_vs_cats_prepare, dogs_vs_cats_from_scratch,
dogs_vs_cats_augmentation, vgg16_feature_extraction, vgg16_feature_extraction_augmented,
vgg16_fine_tuning, visualize_activations, visualize_filters, grad_cam: unit tests of the named
functions, a smoke run of every script on tiny JPEG folders, the loaders' error paths, and a
real-data tier."""

import io
import math
import shutil
from contextlib import redirect_stdout

import fakedata_ch05
import keras
import numpy as np
import pytest
from conftest import smoke_args
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
from chapter05.dogs_vs_cats_prepare import SMOKE_SPLIT, prepare_split, split_files, split_name
from dlwp import UserError, datasets

SMOKE_DIR = split_name(SMOKE_SPLIT)


@pytest.fixture(scope="session")
def ch5_data(tmp_path_factory):
    """Tiny Kaggle-style folder (cat/dog.0-11.jpg), an elephant JPEG, a class index."""
    return fakedata_ch05.write_all(tmp_path_factory.mktemp("ch5_data"))


@pytest.fixture(scope="session")
def tiny_convnet(tmp_path_factory):
    """The augmentation script's convnet at 48x48 (its smallest size), untrained, saved."""
    path = tmp_path_factory.mktemp("models") / "tiny_convnet.keras"
    model = dogs_vs_cats_augmentation.build_model(48)
    model.save(path)
    return path


def _copy_source(ch5_data, tmp_path):
    root = fakedata_ch05.new_data_root(tmp_path / "data")
    shutil.copytree(ch5_data / "datasets" / "dogs-vs-cats", root / "datasets" / "dogs-vs-cats")
    return root


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
    m = mnist_convnet.main(smoke_args(tiny_data, out_dir))["metrics"]
    assert m["params"] == 93322 and 0 <= m["test_accuracy"] <= 1
    assert math.isfinite(m["test_loss"])


# ---- dogs_vs_cats_prepare ----------------------------------------------------------------------


def test_split_files_follow_the_book_indices():
    files = split_files(dogs_vs_cats_prepare.SPLIT)
    assert files["train"]["cats"][0] == "cat.0.jpg" and files["train"]["cats"][-1] == "cat.999.jpg"
    assert files["validation"]["dogs"][0] == "dog.1000.jpg"
    assert files["validation"]["dogs"][-1] == "dog.1499.jpg"
    assert (
        files["test"]["cats"][0] == "cat.1500.jpg" and files["test"]["cats"][-1] == "cat.1999.jpg"
    )
    assert [len(files[s]["dogs"]) for s in ("train", "validation", "test")] == [1000, 500, 500]
    assert split_name(dogs_vs_cats_prepare.SPLIT) == "cats_and_dogs_small"


def test_prepare_smoke_is_idempotent(ch5_data, out_dir):
    result = dogs_vs_cats_prepare.main(smoke_args(ch5_data, out_dir))
    m = result["metrics"]
    assert [m[k] for k in dogs_vs_cats_prepare.BOOK] == [6, 6, 3, 3, 3, 3]
    assert m["second_run_changes"] == 0
    base = ch5_data / "datasets" / SMOKE_DIR
    assert sorted(p.name for p in (base / "test" / "dogs").iterdir()) == [
        "dog.10.jpg",
        "dog.11.jpg",
        "dog.9.jpg",
    ]
    stamps = {p: p.stat().st_mtime_ns for p in base.rglob("*.jpg")}
    again = dogs_vs_cats_prepare.main(smoke_args(ch5_data, out_dir))["metrics"]
    assert again["files_copied"] == 0
    assert {p: p.stat().st_mtime_ns for p in base.rglob("*.jpg")} == stamps
    assert all(s["kind"] == "made-for-tests" for s in result["data"])


def test_prepare_repairs_a_damaged_split(ch5_data, tmp_path):
    root = _copy_source(ch5_data, tmp_path)
    base, copied = prepare_split(root, SMOKE_SPLIT)
    assert copied == 24
    (base / "train" / "cats" / "cat.0.jpg").unlink()
    (base / "train" / "cats" / "stray.jpg").write_bytes(b"x")
    (base / "validation" / "dogs" / "dog.6.jpg").write_bytes(b"truncated")
    _, changed = prepare_split(root, SMOKE_SPLIT)
    assert changed == 3
    assert prepare_split(root, SMOKE_SPLIT)[1] == 0


def test_prepare_errors_name_the_problem(ch5_data, tmp_path, empty_data):
    with pytest.raises(UserError, match="dogs-vs-cats/train not found.*kaggle"):
        prepare_split(empty_data, SMOKE_SPLIT)
    root = _copy_source(ch5_data, tmp_path)
    (root / "datasets" / "dogs-vs-cats" / "train" / "dog.7.jpg").unlink()
    with pytest.raises(UserError, match=r"incomplete: dog\.7\.jpg missing"):
        prepare_split(root, SMOKE_SPLIT)
    source = root / "datasets" / "dogs-vs-cats" / "train"
    fakedata_ch05.jpeg(source / "dog.7.jpg", (0, 0, 0))
    data = (source / "cat.4.jpg").read_bytes()
    (source / "cat.4.jpg").write_bytes(data[: len(data) // 3])  # truncated JPEG
    with pytest.raises(UserError, match=r"cat\.4\.jpg is not a decodable JPEG"):
        prepare_split(root, SMOKE_SPLIT)
    (source / "cat.4.jpg").write_bytes(b"GIF89a not a jpeg")
    with pytest.raises(UserError, match=r"cat\.4\.jpg is not a decodable JPEG"):
        prepare_split(root, SMOKE_SPLIT)


def test_find_dogs_vs_cats_small_checks_counts(ch5_data, tmp_path):
    root = _copy_source(ch5_data, tmp_path)
    with pytest.raises(UserError, match="dogs_vs_cats_prepare.py: run that first"):
        datasets.find_dogs_vs_cats_small(SMOKE_SPLIT, SMOKE_DIR, root)
    base, _ = prepare_split(root, SMOKE_SPLIT)
    (base / "test" / "cats" / "cat.9.jpg").unlink()
    with pytest.raises(UserError, match="holds 2 images, not 3"):
        datasets.find_dogs_vs_cats_small(SMOKE_SPLIT, SMOKE_DIR, root)


# ---- the input pipeline, from scratch, augmentation --------------------------------------------


def test_image_datasets_shapes_labels_and_cache(ch5_data):
    base, _ = prepare_split(ch5_data, SMOKE_SPLIT)
    data = dogs_vs_cats_from_scratch.image_datasets(base, 24, batch_size=4)
    assert set(data) == {"train", "validation", "test"}
    x, y = next(iter(data["test"]))
    assert x.shape == (4, 24, 24, 3) and x.dtype == "uint8" and y.shape == (4, 1)
    labels = np.concatenate([y.numpy().ravel() for _, y in data["test"]])
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]  # cats 0, dogs 1
    # cats are reddish, dogs bluish in the fake data: the labels belong to the pixels
    means = np.concatenate([x.numpy().mean(axis=(1, 2)) for x, _ in data["test"]])
    assert (means[:3, 0] > means[:3, 2]).all() and (means[3:, 2] > means[3:, 0]).all()
    epoch1 = np.concatenate([y.numpy().ravel() for _, y in data["train"]])
    assert sorted(epoch1.tolist()) == [0] * 6 + [1] * 6
    speed = dogs_vs_cats_from_scratch.pipeline_throughput(data["train"])
    assert speed["first_pass_images_per_s"] > 0 and speed["cached_images_per_s"] > 0


def test_from_scratch_smoke(ch5_data, out_dir):
    m = dogs_vs_cats_from_scratch.main(smoke_args(ch5_data, out_dir))["metrics"]
    assert 0 <= m["best_val_accuracy"] <= 1 and set(m["history"]) >= {"loss", "val_accuracy"}
    assert (out_dir / "chapter05" / "dogs_vs_cats_from_scratch_curves.png").exists()
    model = keras.models.load_model(m["model_file"])
    assert model.input_shape == (None, 48, 48, 3)


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
    assert copies.shape == (3, 32, 32, 3)
    assert all(np.abs(c - image).mean() > 1 for c in copies)  # each copy is transformed
    passthrough = keras.ops.convert_to_numpy(augment(image[None], training=False))
    assert np.allclose(passthrough[0], image)  # inactive outside training


def test_augmentation_smoke(ch5_data, out_dir):
    m = dogs_vs_cats_augmentation.main(smoke_args(ch5_data, out_dir))["metrics"]
    assert 0 <= m["final_val_accuracy"] <= 1 and math.isfinite(m["history"]["loss"][0])
    for suffix in ("_preview.png", "_curves.png"):
        assert (out_dir / "chapter05" / f"dogs_vs_cats_augmentation{suffix}").exists()


# ---- transfer learning -------------------------------------------------------------------------


def test_vgg16_default_without_weights_is_a_clear_error(ch5_data, out_dir):
    with pytest.raises(UserError, match="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        vgg16_feature_extraction.main(
            ["--data-dir", str(ch5_data), "--output-dir", str(out_dir), "--profile", "smoke"]
        )


def test_vgg16_feature_extraction_smoke(ch5_data, out_dir):
    result = vgg16_feature_extraction.main(smoke_args(ch5_data, out_dir, "--weights", "none"))
    m = result["metrics"]
    assert m["features_shape"] == {
        "train": [12, 1, 1, 512],
        "validation": [6, 1, 1, 512],
        "test": [6, 1, 1, 512],
    }
    assert 0 <= m["test_accuracy"] <= 1 and result["variant"] is None


def test_mobilenet_feature_extraction_smoke(ch5_data, out_dir):
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    result = vgg16_feature_extraction.main(args)
    assert result["metrics"]["features_shape"]["train"] == [12, 1, 1, 256]
    assert result["exercise"] == "chapter05/vgg16_feature_extraction@mobilenet"


def test_freeze_counts_trainable_weights_like_the_book():
    conv_base = vgg16_feature_extraction.build_conv_base("vgg16", None, 32)
    model = vgg16_feature_extraction_augmented.build_model(conv_base, layers.Rescaling(1.0), 32)
    assert vgg16_feature_extraction_augmented.freeze(model, conv_base) == (30, 4)


def test_feature_extraction_augmented_smoke(ch5_data, out_dir):
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    m = vgg16_feature_extraction_augmented.main(args)["metrics"]
    assert m["trainable_weights_after_freezing"] == 4
    assert m["trainable_weights_before_freezing"] > 4
    assert 0 <= m["test_accuracy"] <= 1


def test_set_trainable_from_unfreezes_the_last_block():
    vgg = vgg16_feature_extraction.build_conv_base("vgg16", None, 32)
    names = vgg16_fine_tuning.set_trainable_from(vgg, "block5_conv1")
    assert names == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert len(vgg.trainable_weights) == 6
    mobilenet = vgg16_feature_extraction.build_conv_base("mobilenet", None, 32)
    names = vgg16_fine_tuning.set_trainable_from(mobilenet, "conv_dw_13")
    assert names == ["conv_dw_13", "conv_pw_13"]  # batch norm stays frozen
    with pytest.raises(ValueError):
        vgg16_fine_tuning.set_trainable_from(vgg, "no_such_layer")


def test_smooth_curve():
    assert vgg16_fine_tuning.smooth_curve([1.0, 0.0, 0.0]) == pytest.approx([1.0, 0.8, 0.64])


def test_fine_tuning_smoke(ch5_data, out_dir):
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    m = vgg16_fine_tuning.main(args)["metrics"]
    assert m["unfrozen_layers"] == ["conv_dw_13", "conv_pw_13"]
    assert m["trainable_weights_fine_tuning"] == 2 + 4  # two conv kernels + the classifier
    assert 0 <= m["test_accuracy"] <= 1
    assert (out_dir / "chapter05" / "vgg16_fine_tuning@mobilenet_curves.png").exists()


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
    m = visualize_activations.main([*args, "datasets/dogs-vs-cats/train/cat.11.jpg"])["metrics"]
    assert m["layers_shown"] == 8
    assert m["first_layer_activation_shape"] == [1, 46, 46, 32]
    assert (out_dir / "chapter05" / "visualize_activations.png").exists()


def test_visualize_activations_missing_model(ch5_data, out_dir):
    with pytest.raises(UserError, match="run chapter05/dogs_vs_cats_augmentation.py first"):
        visualize_activations.main(smoke_args(ch5_data, out_dir))


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
    m = visualize_filters.main(args)["metrics"]
    assert m["layers"] == visualize_filters.LAYERS["mobilenet"] and m["filters"] == 4
    assert (out_dir / "chapter05" / "visualize_filters@mobilenet.png").exists()
    m = visualize_filters.main(smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet)))[
        "metrics"
    ]
    assert len(m["layers"]) == 4 and all(n.startswith("conv2d") for n in m["layers"])


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


def test_grad_cam_vgg16_smoke(ch5_data, out_dir):
    m = grad_cam.main(smoke_args(ch5_data, out_dir, "--weights", "none"))["metrics"]
    assert m["layer"] == "block5_conv3" and m["heatmap_shape"] == [14, 14]
    assert 0 <= m["heatmap_mean"] <= 1 and 0 <= m["class_index"] < 1000
    assert m["top_class"].startswith("class_") or m["top_class"] == "African_elephant"
    for suffix in ("_heatmap.png", "_overlay.png"):
        assert (out_dir / "chapter05" / f"grad_cam{suffix}").exists()


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
    folder = datasets.find_dogs_vs_cats_source(2000, real_data)
    for name in ("cat.0.jpg", "dog.1999.jpg"):
        datasets.check_jpeg(folder / name)
    path = datasets.find_weights("mobilenet", False, "imagenet", real_data)
    base = vgg16_feature_extraction.build_conv_base("mobilenet", path, 160)
    assert base.output_shape == (None, 5, 5, 256)
    image = datasets.load_image_array(folder / "dog.1500.jpg", (160, 160))
    features = base(vgg16_feature_extraction.input_scaling("mobilenet")(image[None]))
    assert np.isfinite(np.asarray(features)).all() and np.asarray(features).std() > 0
