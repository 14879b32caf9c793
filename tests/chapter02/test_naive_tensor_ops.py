"""Chapter 2, naive tensor operations: the element-wise functions written by hand, exactly."""

import numpy as np
import pytest

from chapter02 import naive_tensor_ops
from chapter02.naive_tensor_ops import naive_add, naive_relu


def test_naive_relu_exact_and_input_untouched():
    x = np.array([[1.5, -2.0, 0.0], [-0.1, 3.0, -7.0]])
    before = x.copy()
    assert naive_relu(x).tolist() == [[1.5, 0.0, 0.0], [0.0, 3.0, 0.0]]
    assert np.array_equal(x, before)


def test_naive_add_exact_and_shape_checked():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[10.0, -20.0], [0.5, 0.0]])
    assert naive_add(x, y).tolist() == [[11.0, -18.0], [3.5, 4.0]]
    with pytest.raises(AssertionError):
        naive_add(x, np.ones((2, 3)))
    with pytest.raises(AssertionError):
        naive_relu(np.ones(3))


def test_naive_tensor_ops_script(out_dir):
    result = naive_tensor_ops.main(["--profile", "smoke", "--output-dir", str(out_dir)])
    assert result["metrics"]["example_relu"] == [[1.0, 0.0, 3.0], [0.0, 5.0, 0.0]]
    assert result["metrics"]["example_add"] == [[11.0, 18.0, 33.0], [36.0, 55.0, 54.0]]
    assert (out_dir / "chapter02" / "naive_tensor_ops.smoke.json").exists()
