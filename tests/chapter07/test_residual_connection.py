"""Chapter 7, residual connections (section 7.1.4): the identity and the projected shortcut,
checked with NumPy, and each block trained briefly."""

import keras
import numpy as np
import pytest
from ch07_helpers import chain, finite, inputs
from keras import layers
from support import smoke_args

from chapter07 import residual_connection
from dlwp import UserError


def test_residual_blocks_shapes_and_shortcuts():
    identity, projected = residual_connection.build_blocks(32)
    assert tuple(identity.output.shape) == (None, 32, 32, 128)
    assert tuple(projected.output.shape) == (None, 16, 16, 128)
    assert inputs(identity) == [((None, 32, 32, 128), "float32")]
    assert inputs(projected) == [((None, 32, 32, 64), "float32")]
    # section 7.1.4: the branch, then add([y, x]) / add([y, residual])
    add = identity.layers[-1]
    assert isinstance(add, layers.Add) and isinstance(projected.layers[-1], layers.Add)
    assert chain(identity, add.input[0])[1:] == ["Conv2D(128, 3, padding=same, relu)"] * 3
    assert add.input[1] is identity.input
    y, residual = projected.layers[-1].input
    assert chain(projected, y)[1:] == [
        "Conv2D(128, 3, padding=same, relu)",
        "Conv2D(128, 3, padding=same, relu)",
        "MaxPooling2D(2)",
    ]
    assert chain(projected, residual)[1:] == ["Conv2D(128, 1, strides=2, padding=same)"]
    x = np.random.default_rng(0).standard_normal((2, 32, 32, 128)).astype("float32")
    assert np.array_equal(residual_connection.zero_branch_output(identity, x), x)
    # with the branch live, the output is not just x
    assert not np.allclose(identity.predict(x, verbose=0), x)
    # projected, branch zeroed: the 1x1 strided conv of x, computed here with NumPy
    x64 = x[..., :64]
    kernel, bias = projected.get_layer("projection").get_weights()
    expected = x64[:, ::2, ::2, :] @ kernel[0, 0] + bias
    got = residual_connection.zero_branch_output(projected, x64)
    assert np.allclose(got, expected, atol=1e-4)
    assert not np.allclose(projected.predict(x64, verbose=0), expected, atol=1e-2)


def test_residual_connection_smoke(out_dir, tiny_data, keras_calls):
    m = residual_connection.main(smoke_args(tiny_data, out_dir))["metrics"]
    assert m["identity_output_shape"] == "(16, 16, 128)"
    assert m["projected_output_shape"] == "(8, 8, 128)"
    assert finite(m["identity_final_loss"], m["projected_final_loss"])
    assert m["identity_shortcut_exact"] == m["projection_shortcut_exact"] == "yes"
    # each block trained on feature maps of its own width, with the same labels
    identity_fit, projected_fit = keras_calls.of("fit")
    assert identity_fit.x.shape == (16, 16, 16, 128) and projected_fit.x.shape == (16, 16, 16, 64)
    assert np.array_equal(identity_fit.y, projected_fit.y) and identity_fit.y.shape == (16,)
    for fit in (identity_fit, projected_fit):
        assert (fit.epochs, fit.batch_size) == (1, 16)


def test_residual_connection_rejects_odd_size(out_dir):
    with pytest.raises(UserError) as exc:
        residual_connection.main(
            ["--profile", "smoke", "--image-size", "15", "--output-dir", str(out_dir)]
        )
    assert exc.value.problem == "--image-size 15 is odd" and "even" in exc.value.fix


def test_zero_branch_output_leaves_the_block_alone():
    identity, _ = residual_connection.build_blocks(8)
    before = [w.copy() for w in identity.get_weights()]
    x = np.random.default_rng(1).standard_normal((1, 8, 8, 128)).astype("float32")
    residual_connection.zero_branch_output(identity, x)
    assert all(np.array_equal(a, b) for a, b in zip(before, identity.get_weights()))
    assert isinstance(identity, keras.Model)
