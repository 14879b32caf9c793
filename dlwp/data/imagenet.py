"""Pretrained ImageNet weights of the Keras applications, the input scaling each base is fed,
and the ImageNet class names.

Weights are looked for under `models/` in the data folders (Keras' file names), else downloaded
into the cache. A file that is not the expected network's weights is named in one line.
"""

from __future__ import annotations

from pathlib import Path

from dlwp.data.core import DataFolders
from dlwp.data.formats import load_json
from dlwp.errors import BadData, UserError

ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications/"

# (base, include_top) -> (Keras' file name, folder in the Keras bucket, Keras' md5 or None)
WEIGHTS = {
    ("vgg16", True): (
        "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "vgg16",
        "64373286793e3c8b2b4e3219cbf3544b",
    ),
    ("vgg16", False): (
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "vgg16",
        "6d6bbae143d832006294945121d1f1fc",
    ),
    ("vgg19", True): (
        "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        "vgg19",
        "cbe5617147190e668d6c5d5026f83318",
    ),
    ("vgg19", False): (
        "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "vgg19",
        "253f8cb515780f3b799900260a226db6",
    ),
    ("inception_v3", True): (
        "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        "inception_v3",
        "9a0d58056eeedaa3f26cb7ebd46da564",
    ),
    ("inception_v3", False): (
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "inception_v3",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
    # MobileNet v1, alpha 0.25, 224x224: the small stand-in (Keras publishes no hash for it)
    ("mobilenet", True): ("mobilenet_2_5_224_tf.h5", "mobilenet", None),
    ("mobilenet", False): ("mobilenet_2_5_224_tf_no_top.h5", "mobilenet", None),
}

CLASS_INDEX_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"


def find_weights(data: DataFolders, base: str, include_top: bool, weights: str) -> str | None:
    """Resolve a `--weights` value for a Keras application's `weights=` argument.

    'imagenet': Keras' weights file of `base` under models/ (local, else downloaded, else
    MissingData); 'none': None, random initialization (smoke runs; never a reported result);
    anything else: a path to a weights file, which must exist.
    """
    if weights == "none":
        return None
    if weights == "imagenet":
        if (base, include_top) not in WEIGHTS:
            raise UserError(f"no ImageNet weights are known for base {base!r}")
        fname, folder, md5 = WEIGHTS[(base, include_top)]
        top = "with" if include_top else "without"
        path = data.fetch(
            f"models/{fname}",
            f"{ORIGIN}{folder}/{fname}",
            md5,
            f"{base} ImageNet weights ({top} top)",
        )
        return str(path)
    path = Path(weights).expanduser()
    if not path.is_file():
        raise UserError(f"--weights {weights}: no such file", "give 'imagenet', 'none' or a path")
    data.record(path, f"{base} weights")
    return str(path.resolve())


def build(constructor, data: DataFolders, weights_path: str | None, what: str, **kwargs):
    """`constructor(weights=weights_path, **kwargs)` (a `keras.applications` function); a file
    that is not that network's weights is one clear line instead of an h5py/Keras traceback."""
    try:
        return constructor(weights=weights_path, **kwargs)
    except Exception as exc:  # h5py and Keras raise many types for a wrong file
        if weights_path is None:
            raise
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise BadData(
            weights_path,
            f"not loadable as the {what} weights ({type(exc).__name__}: {reason})",
            "give Keras' weights file for this network, or --weights imagenet",
            name=data.name(weights_path),
        ) from None


def rescaling(base: str):
    """The Keras layer that takes [0, 255] pixels to the input range a conv base is fed: the
    book's 1/255 for VGG16, [-1, 1] for MobileNet (what `keras.applications.mobilenet.
    preprocess_input` does, the range it was trained on)."""
    from keras import layers

    if base == "mobilenet":
        return layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scaling")
    return layers.Rescaling(1.0 / 255, name="scaling")


def load_class_index(data: DataFolders) -> list[tuple[str, str]]:
    """The 1000 ImageNet classes as (wordnet id, name), in the order of the models' outputs."""
    path = data.fetch(
        "models/imagenet_class_index.json", CLASS_INDEX_URL, CLASS_INDEX_MD5, "ImageNet class names"
    )
    index = load_json(path, data.name(path))
    try:
        return [tuple(index[str(i)]) for i in range(1000)]
    except (KeyError, TypeError) as exc:
        raise BadData(
            path, f"not Keras' imagenet_class_index.json ({exc!r})", name=data.name(path)
        ) from None
