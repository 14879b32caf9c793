"""Layer weight sharing: a siamese LSTM, one LSTM instance applied to two inputs.

Deep Learning with Python, section 7.1.5 (listing 7.12). To judge whether two sentences are similar,
regardless of order, one `LSTM(32)` instance is called on the left and the right input: the model
holds one set of LSTM weights, learned from both. The encodings are concatenated into a Dense
sigmoid, fit as in the book on seeded random sequences of 128-d vectors. Checks: one LSTM layer and
one set of weights; the same sequence gives the same encoding on both sides; and changing those
weights changes both branches' encodings.

Book: no numbers printed; one LSTM(32) on 128-d inputs has 4 * 32 * (128 + 32 + 1) = 20,608
parameters, whichever number of inputs it is called on.

Run:  python chapter07/siamese_lstm.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers

from dlwp import flags, graphs, results
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "num_samples": 32, "timesteps": 10},
    "quick": {"epochs": 5, "num_samples": 1000, "timesteps": 20},
    "full": {"epochs": 10, "num_samples": 1000, "timesteps": 20},  # the book gives no data size
}
BOOK = {
    "lstm_layers": 1,
    "lstm_weight_sets": 1,
    "lstm_parameters": 20608,
    "both_branches_move": "yes",
}
FEATURES = 128


def build_model():
    """The siamese model, and an `encoder` Model that exposes both branches' LSTM outputs."""
    lstm = layers.LSTM(32)  # instantiated once

    left_input = keras.Input(shape=(None, FEATURES), name="left")
    left_output = lstm(left_input)

    right_input = keras.Input(shape=(None, FEATURES), name="right")
    right_output = lstm(right_input)  # the same layer: the same weights

    merged = layers.concatenate([left_output, right_output], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged)

    model = keras.Model([left_input, right_input], predictions)
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    encoder = keras.Model([left_input, right_input], [left_output, right_output])
    return model, encoder


def lstm_layers(model):
    return [layer for layer in model.layers if isinstance(layer, layers.LSTM)]


def branches_after_weight_change(encoder, left, right, scale=2.0):
    """(left moved, right moved): do both encodings change when the one LSTM's weights change?"""
    (lstm,) = lstm_layers(encoder)
    left_before, right_before = encoder.predict([left, right], verbose=0)
    saved = lstm.get_weights()
    lstm.set_weights([w * scale for w in saved])
    left_after, right_after = encoder.predict([left, right], verbose=0)
    lstm.set_weights(saved)
    return (
        not np.allclose(left_before, left_after, atol=1e-6),
        not np.allclose(right_before, right_after, atol=1e-6),
    )


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--num-samples", type=flags.positive_int, help="random pairs")
    parser.add_argument("--timesteps", type=flags.positive_int, help="vectors per sequence")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Siamese LSTM: one LSTM shared by two inputs", BOOK)

    # Data: random pairs of sequences and random similarity targets
    rng = np.random.default_rng(args.seed)
    shape = (args.num_samples, args.timesteps, FEATURES)
    left_data = rng.standard_normal(shape).astype("float32")
    right_data = rng.standard_normal(shape).astype("float32")
    targets = rng.integers(0, 2, (args.num_samples, 1)).astype("float32")

    # Model
    model, encoder = build_model()
    model.summary()
    graph = graphs.plot_model(model, run.path("_model.png"))
    if graph:
        run.add_figure(graph)

    # Train
    history = model.fit(
        [left_data, right_data], targets, epochs=args.epochs, batch_size=128, verbose=2
    )

    # Evaluate: one LSTM, one set of weights, and both branches use it
    shared = lstm_layers(model)
    lstm_vars = shared[0].trainable_weights
    left_enc, right_enc = encoder.predict([left_data[:8], left_data[:8]], verbose=0)
    same_encoding = bool(np.array_equal(left_enc, right_enc))
    moved = branches_after_weight_change(encoder, left_data[:8], right_data[:8])
    print(
        f"{len(shared)} LSTM layer, weights {[tuple(v.shape) for v in lstm_vars]}; "
        f"same input -> same encoding: {same_encoding}; weight change moves (left, right): {moved}"
    )

    return run.finish(
        {
            "lstm_layers": len(shared),
            "lstm_weight_sets": len(lstm_vars) // 3,  # kernel, recurrent_kernel, bias per set
            "lstm_weight_shapes": [str(tuple(v.shape)) for v in lstm_vars],
            "lstm_parameters": int(sum(np.prod(v.shape) for v in lstm_vars)),
            "model_parameters": model.count_params(),
            "same_input_same_encoding": "yes" if same_encoding else "no",
            "both_branches_move": "yes" if all(moved) else "no",
            "final_loss": history.history["loss"][-1],
            "model_graph": graph.name if graph else "not plotted (pydot/Graphviz missing)",
        }
    )


if __name__ == "__main__":
    flags.run(main)
