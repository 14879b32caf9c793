"""dlwp.optimizers: Keras 3's RMSprop with the book's (Keras 2.0.8's) step."""

import keras
import numpy as np
import pytest

from dlwp.optimizers import KERAS2_RMSPROP_EPSILON


def keras2_rmsprop_step(gradient, lr=1e-3, rho=0.9):
    """Keras 2.0.8's first update, from its source: a = rho*0 + (1-rho)*g²; lr*g/(sqrt(a)+1e-8)."""
    accumulator = (1 - rho) * gradient**2
    return lr * gradient / (np.sqrt(accumulator) + 1e-8)


@pytest.mark.parametrize("gradient", [1e-1, 1e-3, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10])
def test_the_first_step_is_keras_2s_within_root_two(gradient):
    weight = keras.Variable(np.zeros(1, dtype="float32"), dtype="float32")
    optimizer = keras.optimizers.RMSprop(learning_rate=1e-3, epsilon=KERAS2_RMSPROP_EPSILON)
    optimizer.apply_gradients([(keras.ops.convert_to_tensor([gradient], "float32"), weight)])
    step = -float(keras.ops.convert_to_numpy(weight)[0])
    ratio = step / keras2_rmsprop_step(gradient)
    assert 1 / np.sqrt(2) <= ratio <= np.sqrt(2), ratio


def test_keras_3s_default_is_not_the_books_step():
    """Why the constant exists: with the default epsilon a gradient of 1e-6 moves ~1,000x less."""
    weight = keras.Variable(np.zeros(1, dtype="float32"), dtype="float32")
    keras.optimizers.RMSprop(learning_rate=1e-3).apply_gradients(
        [(keras.ops.convert_to_tensor([1e-6], "float32"), weight)]
    )
    step = -float(keras.ops.convert_to_numpy(weight)[0])
    assert step < keras2_rmsprop_step(1e-6) / 100
