"""A simple RNN's forward pass in NumPy, checked against keras.layers.SimpleRNN.

Deep Learning with Python, section 6.2 (listing 6.21). For each timestep t the state is updated
with `state_t = tanh(W . input_t + U . state_t + b)`, starting from a zero state, and every
state is an output: a (timesteps, input_features) input gives (timesteps, output_features)
outputs. The book runs it on random inputs (100 timesteps, 32 input features, 64 output features).
The script then gives the same weights to `keras.layers.SimpleRNN(64, return_sequences=True)`
(Keras stores the transposes: kernel = W.T, recurrent_kernel = U.T) and measures how far the two
outputs are apart.

Book: final_output_sequence has shape (100, 64) (the listing's shapes; the listing is not in
notebook 6.2, whose cell 1 elides it as "[...]", and the book prints no output for it).

Run:  python chapter06/numpy_simple_rnn.py
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np

from dlwp import flags, results

TIMESTEPS = 100  # number of timesteps in the input sequence
INPUT_FEATURES = 32  # dimensionality of the input feature space
OUTPUT_FEATURES = 64  # dimensionality of the output feature space
# the shape listing 6.21's settings make (not in notebook 6.2: cell 1 elides the listing)
BOOK = {"output_shape": [100, 64], "max_abs_diff_vs_keras": None}


def simple_rnn_forward(inputs, W, U, b):
    """inputs (timesteps, in); W (out, in), U (out, out), b (out,) -> outputs (timesteps, out)."""
    state_t = np.zeros((W.shape[0],), dtype=inputs.dtype)
    successive_outputs = []
    for input_t in inputs:
        output_t = np.tanh(np.dot(W, input_t) + np.dot(U, state_t) + b)
        successive_outputs.append(output_t)
        state_t = output_t
    return np.stack(successive_outputs, axis=0)


def keras_simple_rnn(inputs, W, U, b):
    """The same forward pass by keras.layers.SimpleRNN given the same weights."""
    layer = keras.layers.SimpleRNN(W.shape[0], return_sequences=True)
    layer.build((None, None, inputs.shape[-1]))
    layer.set_weights([W.T, U.T, b])
    return keras.ops.convert_to_numpy(layer(inputs[None]))[0]


def parse_args(argv=None):
    parser = flags.parser(__doc__, None)
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "A simple RNN in NumPy", BOOK)
    rng = np.random.default_rng(args.seed)
    inputs = rng.random((TIMESTEPS, INPUT_FEATURES)).astype("float32")
    W = rng.random((OUTPUT_FEATURES, INPUT_FEATURES)).astype("float32")
    U = rng.random((OUTPUT_FEATURES, OUTPUT_FEATURES)).astype("float32")
    b = rng.random((OUTPUT_FEATURES,)).astype("float32")
    # Small weights keep tanh out of saturation, so the comparison is meaningful
    W, U = W * 0.1, U * 0.1

    final_output_sequence = simple_rnn_forward(inputs, W, U, b)
    keras_output = keras_simple_rnn(inputs, W, U, b)
    diff = float(np.max(np.abs(final_output_sequence - keras_output)))
    print(f"output {final_output_sequence.shape}; max |numpy - keras| = {diff:.2e}")
    return run.finish(
        {
            "output_shape": list(final_output_sequence.shape),
            "max_abs_diff_vs_keras": diff,
            "output_std": float(final_output_sequence.std()),
        }
    )


if __name__ == "__main__":
    flags.run(main)
