"""Chapter 5.4.3, Grad-CAM: the gradient of the class score with respect to the last conv
layer's map, averaged over the batch and spatial axes into one weight per channel, the weighted
channels summed, ReLU'd and divided by their maximum, checked against NumPy on a tiny model; the
photo reaches VGG16 through its own preprocess_input (BGR, ImageNet means), a saved convnet gets
the photo's pixels; the heatmap is superimposed at 40% in jet."""

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf
from keras import layers
from PIL import Image
from support import ink, no_machine_paths, run_once, smoke_args

from chapter05 import grad_cam
from dlwp.errors import UserError
from dlwp.images import load_image_array

ELEPHANT = "datasets/images/creative_commons_elephant.jpg"
DOG = "datasets/dogs-vs-cats/train/dog.10.jpg"
IMAGENET_MEANS_BGR = np.array([103.939, 116.779, 123.68])  # keras.applications' "caffe" mode


@pytest.fixture(scope="module")
def vgg16_smoke(ch5_data, tmp_path_factory, test_cache):
    """One smoke run on VGG16 (random weights), what reached Keras and the figures recorded."""
    out = tmp_path_factory.mktemp("results")
    run = run_once(grad_cam.main, smoke_args(ch5_data, out, "--weights", "none"), test_cache)
    run.out = out
    return run


def _read(path, size=None):
    """A photo's pixels, float32 in [0, 255], resized bilinearly (load_img's way in Keras 3)."""
    with Image.open(path) as img:
        img = img.convert("RGB")
        if size:
            img = img.resize((size[1], size[0]), Image.BILINEAR)
        return np.asarray(img, "float32")


def test_grad_cam_book_numbers_are_the_notebooks():
    assert grad_cam.BOOK == {
        "top_class": "African_elephant",  # 5.4, cell 46: ('n02504458', 'African_elephant', ...)
        "top_score": 0.9094,  # 5.4, cell 46: 0.90942144
        "class_index": 386,  # 5.4, cell 48: np.argmax(preds[0])
    }


def test_grad_cam_full_model_is_the_books():
    """5.4, cell 42: VGG16(weights="imagenet") with its classifier: the conv base, fc1 on the
    7 x 7 x 512 map, fc2, 1,000 predictions."""
    model = keras.applications.VGG16(weights=None, include_top=True)
    expected = 14714688 + (7 * 7 * 512 * 4096 + 4096) + (4096 * 4096 + 4096) + 4096 * 1000 + 1000
    assert model.count_params() == expected == 138357544
    assert grad_cam.last_conv_layer(model) == "block5_conv3"
    assert model.get_layer("block5_conv3").output.shape == (None, 14, 14, 512)


# ---- the math, against NumPy ------------------------------------------------------------------


def _linear_head(kernel, weights, shape):
    """image -> conv (1x1, linear: `kernel`, no bias) -> flatten -> Dense (linear: `weights`):
    the class score's gradient at the conv map is `weights[:, class]`, reshaped to the map."""
    inputs = keras.Input(shape)
    conv = layers.Conv2D(kernel.shape[1], 1, use_bias=False, name="conv")
    dense = layers.Dense(weights.shape[1], use_bias=False)
    model = keras.Model(inputs, dense(layers.Flatten()(conv(inputs))))
    conv.set_weights([kernel[None, None].astype("float32")])
    dense.set_weights([weights.astype("float32")])
    return model


def _numpy_grad_cam(image, kernel, weights, class_index):
    """Grad-CAM written out: pooled gradients = mean over the batch and spatial axes per
    channel; the map = the channels weighted by them, summed; ReLU; divided by the maximum."""
    maps = image @ kernel  # (1, h, w, channels): the conv's output
    grads = weights[:, class_index].reshape(maps.shape[1:])[None]  # d score / d map
    pooled = grads.mean(axis=(0, 1, 2))  # (channels,)
    raw = (maps[0] * pooled).sum(axis=-1)  # (h, w)
    relu = np.maximum(raw, 0)
    return relu / relu.max(), raw, grads


def test_gradcam_heatmap_is_numpys():
    """A 4x5 map (not square) of 3 channels, gradients that vary over the map and between
    channels, with both signs: a wrong pooling axis, a missing ReLU or normalization, or the
    gradients used unpooled give another map."""
    rng = np.random.default_rng(7)
    h, w, channels, classes = 4, 5, 3, 3
    image = rng.uniform(0, 1, (1, h, w, 3))
    kernel = np.array([[1.0, 0.2, -0.3], [0.1, -1.0, 0.5], [-0.4, 0.3, 1.2]])
    weights = rng.normal(0, 1, (h * w * channels, classes))
    weights[:, 1] += np.tile([0.0, 0.0, 0.3], h * w)  # class 1 leans on channel 2
    model = _linear_head(kernel, weights, (h, w, 3))
    grad_model = grad_cam.gradcam_model(model, "conv")
    scores = image.reshape(1, -1) @ np.kron(np.eye(h * w), kernel) @ weights
    for class_index in (None, 1, 2):
        expected_class = int(scores.argmax()) if class_index is None else class_index
        heatmap, cls, score = grad_cam.make_gradcam_heatmap(grad_model, image, class_index)
        expected, raw, grads = _numpy_grad_cam(image, kernel, weights, expected_class)
        assert cls == expected_class and score == pytest.approx(scores[0, cls], rel=1e-5)
        assert heatmap.shape == (h, w)
        np.testing.assert_allclose(heatmap, expected, atol=1e-5)
        # the input tells these apart: negative evidence to cut, a maximum that is not 1, and
        # pooling over another axis (rows, columns) or not at all changes the map
        assert raw.min() < 0 < raw.max() and abs(raw.max() - 1) > 0.05
        maps = image @ kernel
        for other in (
            (maps[0] * grads[0].mean(axis=0)).sum(axis=-1),  # pooled over rows only
            (maps[0] * grads[0].mean(axis=1, keepdims=True)).sum(axis=-1),  # columns only
            (maps[0] * grads[0]).sum(axis=-1),  # not pooled
        ):
            relu = np.maximum(other, 0)
            assert np.abs(relu / relu.max() - expected).max() > 0.05


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
    assert heatmap0.min() == 0
    with pytest.raises(UserError, match="has no layer 'nope'"):
        grad_cam.gradcam_model(model, "nope")


def _red_for_blue_against():
    """A fixed classifier: conv channel 0 is each pixel's red, channel 1 its blue; red is
    evidence for class 1, blue against it (Dense weights +1 and -1 on their means)."""
    inputs = keras.Input((16, 16, 3))
    conv = layers.Conv2D(2, 1, name="conv", use_bias=False)
    dense = layers.Dense(1, activation="sigmoid")
    model = keras.Model(inputs, dense(layers.GlobalAveragePooling2D()(conv(inputs))))
    kernel = np.zeros((1, 1, 3, 2), "float32")
    kernel[0, 0, 0, 0] = kernel[0, 0, 2, 1] = 1.0
    conv.set_weights([kernel])
    dense.set_weights([np.array([[1.0], [-1.0]], "float32"), np.zeros(1, "float32")])
    return model


def test_gradcam_heatmap_is_the_relu_of_the_weighted_map():
    """The gradient of the score is the same at every position, +g on the red channel and -g
    on the blue one, so the weighted map is g/2 * (red - blue): positive on the red spot,
    negative on the blue one. Grad-CAM keeps its positive part, scaled to a maximum of 1."""
    image = np.zeros((1, 16, 16, 3), "float32")
    image[0, 2:5, 10:13, 0] = 1.0  # red: for class 1
    image[0, 9:14, 1:6, 2] = 0.6  # blue: against it
    raw = image[0, ..., 0] - image[0, ..., 2]  # the weighted map, up to a positive factor
    assert raw.min() < 0 < raw.max()
    grad_model = grad_cam.gradcam_model(_red_for_blue_against(), "conv")
    for class_index, evidence in [(1, raw), (0, -raw)]:  # for class 0 the signs flip
        heatmap, cls, _ = grad_cam.make_gradcam_heatmap(grad_model, image, class_index)
        assert cls == class_index and heatmap.min() >= 0
        relu = np.maximum(evidence, 0)
        np.testing.assert_allclose(heatmap, relu / relu.max(), atol=1e-6)


def test_class_score_and_predicted_class():
    softmax = np.array([[0.1, 0.7, 0.2]])
    assert grad_cam.predicted_class(softmax) == 1
    assert float(grad_cam.class_score(softmax, 2)[0]) == pytest.approx(0.2)
    sigmoid = np.array([[0.3]])  # p(dog) = 0.3: a cat, scored 0.7
    assert grad_cam.predicted_class(sigmoid) == 0
    assert float(grad_cam.class_score(sigmoid, 0)[0]) == pytest.approx(0.7)
    assert float(grad_cam.class_score(sigmoid, 1)[0]) == pytest.approx(0.3)


def test_superimpose_is_the_books_40_percent_jet():
    """The heatmap resized to the photo, colored with jet, 0.4 of it added, clipped (5.4, cell
    54: superimposed_img = heatmap * 0.4 + img)."""
    rng = np.random.default_rng(3)
    image = rng.uniform(0, 230, (5, 7, 3))
    heatmap = np.array([[0.0, 0.25, 1.0], [0.5, 0.75, 0.1]])
    resized = Image.fromarray(np.uint8(255 * heatmap)).resize((7, 5), Image.BILINEAR)
    jet = matplotlib.colormaps["jet"](np.asarray(resized) / 255.0)[..., :3] * 255
    expected = np.clip(jet * 0.4 + image, 0, 255).astype("uint8")
    got = grad_cam.superimpose(image, heatmap)
    assert got.shape == (5, 7, 3) and got.dtype == np.uint8
    assert np.abs(got.astype(int) - expected).max() <= 1


# ---- the runs ---------------------------------------------------------------------------------


def test_grad_cam_vgg16_smoke(vgg16_smoke, ch5_data):
    m, out = vgg16_smoke.metrics, vgg16_smoke.out
    assert m["layer"] == "block5_conv3" and m["heatmap_shape"] == [14, 14]
    assert 0 <= m["heatmap_mean"] <= 1
    # the class's name from the (fake) class index: class_<i>, and the book's 386
    names = {386: "African_elephant"}
    assert m["top_class"] == names.get(m["class_index"], f"class_{m['class_index']}")
    assert m["image"] == ELEPHANT
    result = vgg16_smoke.result  # VGG16 on the elephant: the book's numbers beside
    assert result["variant"] is None and result["book"] == grad_cam.BOOK
    assert set(grad_cam.BOOK) <= set(m) and "stands_in_for" not in m
    assert ink(out / "chapter05" / "grad_cam.smoke_heatmap.png") > 0.3
    # the overlay is the photo plus 40% of a jet color (its largest channel is 0.5 or more)
    photo = load_image_array(ch5_data / m["image"])
    overlay = load_image_array(out / "chapter05" / "grad_cam.smoke_overlay.png")
    assert overlay.shape == photo.shape
    added = (overlay - photo) / (0.4 * 255)
    unclipped = (overlay < 255).all(axis=-1)
    assert added.min() > -0.011 and unclipped.mean() > 0.5
    assert (added[unclipped].max(axis=-1) > 0.48).all()
    assert result["figures"] == [
        "chapter05/grad_cam.smoke_heatmap.png",
        "chapter05/grad_cam.smoke_overlay.png",
    ]
    no_machine_paths(result, ch5_data, out)


def test_grad_cam_vgg16_sees_the_photo_through_its_preprocess_input(vgg16_smoke, ch5_data):
    """What reaches VGG16: the photo at 224x224, channels reversed to BGR, ImageNet's means
    taken off (keras.applications.vgg16.preprocess_input, the book's); and the heatmap drawn
    is Grad-CAM of block5_conv3 on that input, computed here."""
    [predict] = vgg16_smoke.calls.of("predict")
    expected = _read(ch5_data / ELEPHANT, (224, 224))[..., ::-1] - IMAGENET_MEANS_BGR
    np.testing.assert_allclose(predict.x, expected[None], atol=1e-3)
    model = predict.model
    probe = keras.Model(model.inputs, [model.get_layer("block5_conv3").output, model.outputs[0]])
    x = tf.constant(expected[None], "float32")
    with tf.GradientTape() as tape:
        maps, predictions = probe(x)
        cls = int(np.argmax(predictions[0]))
        score = predictions[:, cls]
    grads = tape.gradient(score, maps).numpy()
    raw = (maps.numpy()[0] * grads.mean(axis=(0, 1, 2))).sum(axis=-1)
    relu = np.maximum(raw, 0)
    heatmap = relu / relu.max()
    assert heatmap.std() > 0.05  # a map with something in it, to compare with
    m = vgg16_smoke.metrics
    assert m["class_index"] == cls and m["top_score"] == pytest.approx(float(score[0]), rel=1e-4)
    drawn = np.asarray(vgg16_smoke.figures[0].axes[0].images[0].get_array())
    np.testing.assert_allclose(drawn, heatmap, atol=1e-4)
    assert m["heatmap_mean"] == pytest.approx(float(heatmap.mean()), abs=1e-5)


def test_grad_cam_model_smoke(ch5_data, tmp_path, tiny_convnet, keras_calls):
    """A saved Dogs vs. Cats convnet: the photo's pixels at its input size (it rescales them
    itself), the predicted class's score, a variant named after the model."""
    out_dir = tmp_path / "results"
    args = smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet), "--image", DOG)
    result = grad_cam.main(args)
    m = result["metrics"]
    assert m["layer"].startswith("conv2d") and m["heatmap_shape"] == [2, 2]
    [predict] = keras_calls.of("predict")
    image = _read(ch5_data / DOG, (48, 48))
    np.testing.assert_allclose(predict.x, image[None], atol=1e-4)
    p_dog = float(keras.models.load_model(tiny_convnet)(image[None])[0, 0])
    assert m["top_class"] == ("dog" if p_dog > 0.5 else "cat")
    assert m["top_score"] == pytest.approx(max(p_dog, 1 - p_dog), abs=1e-5)
    assert result["exercise"] == "chapter05/grad_cam@tiny_convnet"
    assert result["variant"] and result["book"] == dict.fromkeys(grad_cam.BOOK)
    assert m["stands_in_for"] == grad_cam.STANDS_IN_FOR
    with pytest.raises(UserError, match="no trained model"):
        grad_cam.main(smoke_args(ch5_data, out_dir, "--model", str(out_dir / "none.keras")))
