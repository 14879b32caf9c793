"""Chapter 7, the Inception module (section 7.1.4): four branches concatenated on channels, each
trained by a brief fit on random images."""

import keras
import numpy as np
from ch07_helpers import chain, compiled, finite, specs
from keras import layers
from support import smoke_args

from chapter07 import inception_module


def test_inception_module_concatenates_four_branches():
    x = keras.Input(shape=(32, 32, 3))
    out = inception_module.inception_module(x)
    assert tuple(out.shape) == (None, 16, 16, 512)
    module = keras.Model(x, out)
    concat = module.layers[-1]
    assert isinstance(concat, layers.Concatenate) and len(concat.input) == 4 and concat.axis == -1
    assert all(tuple(t.shape) == (None, 16, 16, 128) for t in concat.input)
    # the book's four branches (section 7.1.4), each from x; padding "same" is our port's
    assert [chain(module, t)[1:] for t in concat.input] == [
        ["Conv2D(128, 1, strides=2, relu)"],
        ["Conv2D(128, 1, relu)", "Conv2D(128, 3, strides=2, padding=same, relu)"],
        ["AveragePooling2D(3, strides=2, padding=same)", "Conv2D(128, 3, padding=same, relu)"],
        [
            "Conv2D(128, 1, relu)",
            "Conv2D(128, 3, padding=same, relu)",
            "Conv2D(128, 3, strides=2, padding=same, relu)",
        ],
    ]
    assert all(chain(module, t)[0] == x.name for t in concat.input)
    _, classifier = inception_module.build_model(32)
    assert specs(classifier)[-2:] == ["GlobalAveragePooling2D()", "Dense(10, softmax)"]
    assert compiled(classifier)["loss"] == "sparse_categorical_crossentropy"


def test_inception_module_smoke(out_dir, tiny_data, keras_calls):
    m = inception_module.main(smoke_args(tiny_data, out_dir))["metrics"]
    assert m["output_shape"] == "(8, 8, 512)"
    assert m["branch_output_shapes"] == ["(8, 8, 128)"] * 4
    assert m["branches_trained"] == "a, b, c, d" and finite(m["final_loss"])
    # random images in [0, 1) with integer labels (sparse crossentropy), smoke's size and epochs
    [fit] = keras_calls.of("fit")
    assert fit.x.shape == (32, 16, 16, 3) and 0 <= fit.x.min() and fit.x.max() < 1
    assert fit.y.shape == (32,) and fit.y.dtype.kind == "i" and set(fit.y) <= set(range(10))
    assert (fit.epochs, fit.batch_size) == (1, 32)
    [predict] = keras_calls.of("predict")
    assert np.array_equal(predict.x, fit.x[:2])
