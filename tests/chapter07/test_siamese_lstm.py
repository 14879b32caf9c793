"""Chapter 7, the siamese LSTM (listing 7.12): one LSTM's weights shared by two inputs, the
left and right sequences each reaching their own input."""

import keras
import numpy as np
from ch07_helpers import RMSPROP, compiled, finite, inputs, specs
from keras import layers
from support import smoke_args

from chapter07 import siamese_lstm


def test_siamese_lstm_shares_one_set_of_weights():
    model, encoder = siamese_lstm.build_model()
    # listing 7.12: one LSTM(32) on two (None, 128) inputs, concatenated, Dense(1, sigmoid)
    assert [t.name for t in model.inputs] == ["left", "right"]
    assert inputs(model) == [((None, None, 128), "float32")] * 2
    assert specs(model) == ["LSTM(32, tanh)", "Concatenate()", "Dense(1, sigmoid)"]
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": "binary_crossentropy",
        "loss_weights": None,
        "metrics": ["accuracy"],
    }
    (lstm,) = siamese_lstm.lstm_layers(model)
    assert len(lstm.trainable_weights) == 3  # one kernel, recurrent kernel, bias
    assert len(model.trainable_weights) == 5  # + the Dense kernel and bias
    assert model.count_params() == 4 * 32 * (128 + 32 + 1) + (64 + 1)
    rng = np.random.default_rng(0)
    left, right = rng.standard_normal((2, 3, 5, 128)).astype("float32")
    enc_left, enc_right = encoder.predict([left, left], verbose=0)
    assert np.array_equal(enc_left, enc_right)  # same input, same weights: same encoding
    assert siamese_lstm.branches_after_weight_change(encoder, left, right) == (True, True)

    # Control: two separate LSTMs. Changing one moves only its branch, so the check is sharp.
    a, b = keras.Input((None, 128)), keras.Input((None, 128))
    first = layers.LSTM(32)
    control = keras.Model([a, b], [first(a), layers.LSTM(32)(b)])
    before = control.predict([left, right], verbose=0)
    first.set_weights([w * 2 for w in first.get_weights()])
    after = control.predict([left, right], verbose=0)
    assert not np.allclose(before[0], after[0]) and np.array_equal(before[1], after[1])


def test_siamese_lstm_smoke(out_dir, tiny_data, keras_calls):
    m = siamese_lstm.main(smoke_args(tiny_data, out_dir))["metrics"]
    assert m["lstm_layers"] == 1 and m["lstm_weight_sets"] == 1 and m["lstm_parameters"] == 20608
    assert finite(m["final_loss"])
    assert m["same_input_same_encoding"] == m["both_branches_move"] == "yes"
    # two different sequence batches, one to each input, with 0/1 similarity targets
    [fit] = keras_calls.of("fit")
    left, right = fit.x
    assert left.shape == right.shape == (32, 10, 128) and not np.array_equal(left, right)
    assert fit.y.shape == (32, 1) and set(np.unique(fit.y)) == {0.0, 1.0}
    assert (fit.epochs, fit.batch_size) == (1, 128)
