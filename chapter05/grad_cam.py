"""Grad-CAM: which parts of an image made the network decide on its class.

Deep Learning with Python, section 5.4.3. VGG16 with its ImageNet classifier looks at a photo of
African elephants (224x224, `preprocess_input`) and predicts "African elephant" (class 386). The
gradient of that class score with respect to the output feature map of the last convolutional
layer (`block5_conv3`, 14x14x512) is averaged over the map into one weight per channel; the
channels, weighted, are averaged into a 14x14 heatmap, ReLU'd and normalized to [0, 1], then
resized, colored (jet) and superimposed on the photo at 40%. The photo is resized bilinearly
(Keras 2: nearest neighbour), so the score moves a little. `--model PATH --image PATH` explains
any saved classifier instead (e.g. dogs_vs_cats_augmentation.py's), with no book number beside it.

Book: top class African_elephant (index 386, notebook 5.4 cell 48) with probability 0.9094 (cell
46 prints 0.90942144; the text says 92.5%); a 14x14 heatmap that lights up the calf's face and
ears (cell 52).

Run:  python chapter05/grad_cam.py [--profile smoke|quick|full] [--weights imagenet|none|PATH]
          | [--model PATH.keras --image PATH]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

from pathlib import Path

import keras
import matplotlib
import numpy as np
import tensorflow as tf
from keras import layers
from matplotlib.figure import Figure
from PIL import Image

from dlwp import flags, images, results
from dlwp.data import imagenet
from dlwp.errors import UserError
from dlwp.models import load_model

BOOK = {  # notebook 5.4
    "top_class": "African_elephant",  # cell 46: Predicted: [('n02504458', 'African_elephant', ...
    "top_score": 0.9094,  # cell 46: 0.90942144
    "class_index": 386,  # cell 48: np.argmax(preds[0])
}
STANDS_IN_FOR = "the book's ImageNet VGG16 on its elephant photo"
ELEPHANT = "datasets/images/creative_commons_elephant.jpg"
BINARY_CLASSES = ("cat", "dog")  # the Dogs vs. Cats convnet: sigmoid output = p(dog)


def last_conv_layer(model):
    """The name of the last Conv2D layer at the model's top level."""
    convs = [layer.name for layer in model.layers if isinstance(layer, layers.Conv2D)]
    if not convs:
        raise UserError(
            f"{model.name} has no Conv2D layer at its top level",
            "pass --layer with the name of its last convolutional layer",
        )
    return convs[-1]


def gradcam_model(model, layer_name):
    """image -> (the feature map of `layer_name`, the predictions): what the book's
    K.function([model.input], [pooled_grads, last_conv_layer.output[0]]) reads."""
    if layer_name not in [layer.name for layer in model.layers]:
        raise UserError(
            f"{model.name} has no layer {layer_name!r}", "pass --layer with one of its layers"
        )
    if isinstance(model, keras.Sequential):
        # A reloaded Sequential model may keep its layers' symbolic outputs in a graph other
        # than its output's; calling the layers again on a fresh input gives one graph.
        inputs = x = keras.Input(model.input_shape[1:])
        for layer in model.layers:
            x = layer(x)
            if layer.name == layer_name:
                conv_output = x
        return keras.Model(inputs, [conv_output, x])
    return keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])


def class_score(predictions, class_index):
    """The score Grad-CAM explains: a softmax/logit column, or for a single sigmoid unit
    p for class 1 and 1 - p for class 0 (the Dogs vs. Cats convnet: p(dog) or 1 - p(dog))."""
    if predictions.shape[-1] == 1:
        p = predictions[:, 0]
        return p if class_index == 1 else 1.0 - p
    return predictions[:, class_index]


def predicted_class(predictions) -> int:
    predictions = np.asarray(predictions)
    if predictions.shape[-1] == 1:
        return int(predictions[0, 0] > 0.5)
    return int(np.argmax(predictions[0]))


def make_gradcam_heatmap(grad_model, image_batch, class_index=None):
    """Grad-CAM of one image (batch of 1): returns (heatmap (h, w) in [0, 1], class, score).

    Gradient of the class score w.r.t. the conv feature map, averaged per channel (pooled
    channel weights), the weighted channels averaged, ReLU'd, divided by the maximum.
    """
    image_batch = tf.convert_to_tensor(image_batch, dtype="float32")
    with tf.GradientTape() as tape:
        conv_output, predictions = grad_model(image_batch)
        if class_index is None:
            class_index = predicted_class(predictions)
        score = class_score(predictions, class_index)
    # the book's K.gradients(african_elephant_output, last_conv_layer.output)[0]
    grads = tape.gradient(score, conv_output)  # (1, h, w, channels)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))  # (channels,): K.mean, the same axes
    heatmap = tf.reduce_mean(conv_output[0] * pooled_grads, axis=-1).numpy()  # (h, w)
    heatmap = np.maximum(heatmap, 0)
    if heatmap.max() > 0:
        heatmap = heatmap / heatmap.max()
    return heatmap, class_index, float(np.asarray(score)[0])


def superimpose(image, heatmap, alpha=0.4):
    """The heatmap resized to the image, colored with jet, added at `alpha`: uint8 (H, W, 3).
    The book's cv2.resize and applyColorMap(COLORMAP_JET): PIL's resize, matplotlib's jet."""
    image = np.asarray(image, dtype="float32")
    height, width = image.shape[:2]
    resized = Image.fromarray(np.uint8(255 * np.clip(heatmap, 0, 1))).resize(
        (width, height), Image.BILINEAR
    )
    colored = matplotlib.colormaps["jet"](np.asarray(resized) / 255.0)[..., :3] * 255
    return np.clip(colored * alpha + image, 0, 255).astype("uint8")


def parse_args(argv=None):
    parser = flags.parser(__doc__, None)
    flags.add_weights_flags(parser, ("vgg16",), "vgg16")
    parser.add_argument("--model", help="a saved Keras classifier instead of ImageNet VGG16")
    parser.add_argument("--image", help=f"image file or data-folder path (default {ELEPHANT})")
    parser.add_argument("--layer", help="the conv layer to explain (default: the last Conv2D)")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    # another network or another image: a variant of its own, with no book number beside it
    if args.model:
        variant = Path(args.model).stem
    else:
        variant = None if args.image in (None, ELEPHANT) else Path(args.image).stem
    book = BOOK if variant is None else dict.fromkeys(BOOK)
    what = Path(args.model).name if args.model else "ImageNet VGG16"
    run = results.Run(__file__, args, f"Grad-CAM heatmap of {what}", book, variant=variant)

    # Model and input
    if args.model:
        model = load_model(
            args.model,
            "pass --model PATH to a saved Keras classifier, such as the one "
            "chapter05/dogs_vs_cats_augmentation.py saves",
        )
        layer_name = args.layer or last_conv_layer(model)  # or --layer
        preprocess = None  # our convnets rescale inside the model
        names = BINARY_CLASSES if model.output_shape[-1] == 1 else None
    else:  # the book's VGG16(weights="imagenet"); a wrong weights file is one line
        weights = imagenet.find_weights(
            args.folders, "vgg16", include_top=True, weights=args.weights
        )
        model = imagenet.build(
            keras.applications.VGG16, args.folders, weights, "VGG16", include_top=True
        )
        layer_name = args.layer or "block5_conv3"
        preprocess = keras.applications.vgg16.preprocess_input
        # decode_predictions' class names, from <data>/models/imagenet_class_index.json first
        names = [name for _, name in imagenet.load_class_index(args.folders)]
    image_path = images.find_image(args.folders, args.image or ELEPHANT)
    height, width = model.input_shape[1:3]
    # the book's load_img(img_path, target_size=(224, 224)), resized bilinearly (see the README's
    # table). A photo under 32 pixels a side, too large (a decompression bomb) or not an image:
    # one line naming it, BadData
    image = images.load_image_array(image_path, (height, width), min_side=images.MIN_SIDE)
    x = image[None] if preprocess is None else preprocess(image[None].copy())

    # Predictions
    predictions = np.asarray(model.predict(x, verbose=0))
    if names is not None and predictions.shape[-1] > 1:
        top = np.argsort(predictions[0])[::-1][:3]
        print("Predicted:", [(names[i], round(float(predictions[0, i]), 4)) for i in top])

    # Grad-CAM
    heatmap, class_index, score = make_gradcam_heatmap(gradcam_model(model, layer_name), x)
    label = names[class_index] if names is not None else str(class_index)
    print(f"{label} ({score:.4f}); heatmap of {layer_name}: {heatmap.shape}")

    # Visualize: the heatmap, and the heatmap over the full-resolution photo
    fig = Figure(figsize=(4, 4))
    ax = fig.subplots()
    ax.matshow(heatmap)
    ax.set_title(f"Grad-CAM of {layer_name}: {label}")
    run.save_figure(fig, "_heatmap.png")
    original = images.load_image_array(image_path)
    overlay = superimpose(original, heatmap)
    overlay_path = run.path("_overlay.png")
    keras.utils.save_img(overlay_path, overlay, scale=False)  # as is, as cv2.imwrite wrote it
    run.add_figure(overlay_path)
    peak = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    stand_in = {"stands_in_for": STANDS_IN_FOR} if variant else {}
    return run.finish(
        {
            **stand_in,
            "top_class": label,
            "top_score": score,
            "class_index": class_index,
            "layer": layer_name,
            "heatmap_shape": list(heatmap.shape),
            "heatmap_peak": [int(p) for p in peak],
            "heatmap_mean": float(heatmap.mean()),
            "network": what,
            "image": args.folders.name(image_path),
        }
    )


if __name__ == "__main__":
    flags.run(main)
