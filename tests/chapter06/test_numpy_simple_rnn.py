"""Chapter 6, numpy_simple_rnn (listing 6.21): the simple RNN's forward pass in NumPy, checked
against Keras' SimpleRNN and against a hand computation on a tiny input; the script's run."""

import numpy as np
from ch06_helpers import saved

from chapter06 import numpy_simple_rnn
from chapter06.numpy_simple_rnn import keras_simple_rnn, simple_rnn_forward


def test_numpy_rnn_equals_keras_simple_rnn():
    rng = np.random.default_rng(3)
    inputs = rng.normal(0, 1, (30, 6)).astype("float32")
    W = rng.normal(0, 0.3, (5, 6)).astype("float32")
    U = rng.normal(0, 0.3, (5, 5)).astype("float32")
    b = rng.normal(0, 0.3, 5).astype("float32")
    ours = simple_rnn_forward(inputs, W, U, b)
    assert ours.shape == (30, 5)
    np.testing.assert_allclose(ours, keras_simple_rnn(inputs, W, U, b), atol=1e-5)
    # the state really is carried: without U the outputs differ
    assert np.abs(ours - simple_rnn_forward(inputs, W, U * 0, b)).max() > 1e-2


def test_numpy_rnn_by_hand_on_a_tiny_input():
    """output_t = tanh(W input_t + U state_t + b), state_t = output_(t-1), state_0 = 0: 3
    timesteps of 2 inputs into 3 units, computed here step by step. W is not square, U not
    symmetric, b not constant, so a transposed weight, a dropped term or a state that is not
    carried changes the outputs."""
    inputs = np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]])
    W = np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]])  # (3 units, 2 inputs)
    U = np.array([[0.0, 0.1, 0.2], [0.3, 0.0, -0.1], [-0.2, 0.4, 0.0]])
    b = np.array([0.05, -0.1, 0.2])
    state = np.zeros(3)
    expected = []
    for x in inputs:
        pre = [
            sum(W[i, j] * x[j] for j in range(2)) + sum(U[i, k] * state[k] for k in range(3)) + b[i]
            for i in range(3)
        ]
        state = np.tanh(pre)
        expected.append(state)
    out = simple_rnn_forward(inputs, W, U, b)
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # the first step by hand: tanh(W x0 + b), no state yet
    np.testing.assert_allclose(out[0], np.tanh([-0.25, -1.2, 1.9]), rtol=1e-12)


def test_numpy_simple_rnn_smoke(out_dir):
    result = numpy_simple_rnn.main(["--profile", "smoke", "--output-dir", str(out_dir)])
    m = result["metrics"]
    assert m["output_shape"] == [100, 64] and m["max_abs_diff_vs_keras"] < 1e-5
    saved(out_dir, result)
