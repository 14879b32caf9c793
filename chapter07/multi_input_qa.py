"""A multi-input model: question answering from a text and a question (functional API).

Deep Learning with Python, section 7.1.2 (listings 7.1-7.3). The reference text goes through
Embedding(10000, 64) -> LSTM(32), the question through Embedding(10000, 32) -> LSTM(16); the two
encodings are concatenated and a Dense softmax picks one word of a 500-word answer vocabulary. As
in the book it trains on random data (1,000 samples of 100 word indices, 10 epochs, batch 128),
once with the inputs as a list and once as a dict keyed by the `Input` names. Random data has
nothing to learn: the checks are the shapes, and that list and dict inputs give the same model.

Book: no numbers printed (random data); the prediction shape follows from the code: (samples, 500).

Run:  python chapter07/multi_input_qa.py [--profile smoke|quick|full]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers

from dlwp import flags, graphs, results
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "num_samples": 64, "max_length": 20},
    "quick": {"epochs": 10, "num_samples": 1000, "max_length": 100},  # cheap: same as full
    "full": {"epochs": 10, "num_samples": 1000, "max_length": 100},
}
BOOK = {"prediction_shape": "(samples, 500)", "inputs_by_name": "yes", "loss_dict_inputs": None}
TEXT_VOCABULARY_SIZE = 10000
QUESTION_VOCABULARY_SIZE = 10000
ANSWER_VOCABULARY_SIZE = 500


def build_model():
    text_input = keras.Input(shape=(None,), dtype="int32", name="text")
    # the book's listing swaps the arguments, Embedding(64, text_vocabulary_size); input_dim first
    embedded_text = layers.Embedding(TEXT_VOCABULARY_SIZE, 64)(text_input)
    encoded_text = layers.LSTM(32)(embedded_text)

    question_input = keras.Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(QUESTION_VOCABULARY_SIZE, 32)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)

    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(ANSWER_VOCABULARY_SIZE, activation="softmax")(concatenated)

    model = keras.Model([text_input, question_input], answer)
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def random_data(num_samples, max_length, seed):
    """Word-index sequences for text and question, and one-hot answers, all random."""
    rng = np.random.default_rng(seed)
    text = rng.integers(1, TEXT_VOCABULARY_SIZE, size=(num_samples, max_length))
    question = rng.integers(1, QUESTION_VOCABULARY_SIZE, size=(num_samples, max_length))
    # random one-hot rows: the book's np.random.randint(0, 1, ...) answers are all zeros
    answers = keras.utils.to_categorical(
        rng.integers(0, ANSWER_VOCABULARY_SIZE, size=num_samples), ANSWER_VOCABULARY_SIZE
    )
    return text, question, answers


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--num-samples", type=flags.positive_int, help="random samples")
    parser.add_argument("--max-length", type=flags.positive_int, help="words per sequence")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Multi-input question answering (random data)", BOOK)

    # Data: random, as in the book
    text, question, answers = random_data(args.num_samples, args.max_length, args.seed)

    # Model
    model = build_model()
    model.summary()
    graph = graphs.plot_model(model, run.path("_model.png"))  # None (a note) without pydot or dot
    if graph:
        run.add_figure(graph)

    # Train: inputs as a list, then as a dict keyed by the Input names
    h_list = model.fit([text, question], answers, epochs=args.epochs, batch_size=128, verbose=2)
    h_dict = model.fit(
        {"text": text, "question": question}, answers, epochs=args.epochs, batch_size=128, verbose=2
    )

    # Evaluate: shapes, and the same predictions whichever way the inputs are passed
    pred_list = model.predict([text, question], verbose=0)
    pred_dict = model.predict({"question": question, "text": text}, verbose=0)
    same = bool(np.allclose(pred_list, pred_dict, atol=1e-6))
    shape = pred_list.shape
    print(f"prediction shape {shape}; dict inputs give the same predictions: {same}")
    return run.finish(
        {
            "prediction_shape": f"(samples, {shape[1]})",
            "prediction_array_shape": list(shape),
            "inputs_by_name": "yes" if same else "no",
            "input_names": [t.name for t in model.inputs],
            "rows_sum_to_1": bool(np.allclose(pred_list.sum(axis=1), 1, atol=1e-4)),
            "loss_list_inputs": h_list.history["loss"][-1],
            "loss_dict_inputs": h_dict.history["loss"][-1],
            "parameters": model.count_params(),
            "model_graph": graph.name if graph else "not plotted (pydot/Graphviz missing)",
        }
    )


if __name__ == "__main__":
    flags.run(main)
