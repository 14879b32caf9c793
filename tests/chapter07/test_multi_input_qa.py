"""Chapter 7, multi-input question answering (listings 7.1-7.3): two named inputs, each array
reaching its own branch whether passed as a list or a dict; the book's settings."""

import keras
import numpy as np
from ch07_helpers import GRAPHVIZ, RMSPROP, chain, compiled, finite, inputs, specs
from keras import layers
from support import smoke_args

from chapter07 import multi_input_qa
from dlwp import graphs


def test_multi_input_qa_is_the_books_model():
    """Listing 7.1: text -> Embedding(10000, 64) -> LSTM(32), question -> Embedding(10000, 32) ->
    LSTM(16), concatenated, Dense(500, softmax)."""
    model = multi_input_qa.build_model()
    assert inputs(model) == [((None, None), "int32")] * 2
    concat = model.layers[-2]
    assert isinstance(concat, layers.Concatenate) and concat.axis == -1
    assert chain(model, concat.input[0]) == ["text", "Embedding(10000, 64)", "LSTM(32, tanh)"]
    assert chain(model, concat.input[1]) == ["question", "Embedding(10000, 32)", "LSTM(16, tanh)"]
    assert specs(model)[-1] == "Dense(500, softmax)" and model.layers[-1].input is concat.output
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": "categorical_crossentropy",
        "loss_weights": None,
        "metrics": ["accuracy"],
    }


def test_multi_input_qa_inputs_by_name_and_shapes():
    model = multi_input_qa.build_model()
    assert [t.name for t in model.inputs] == ["text", "question"]
    assert tuple(model.output.shape) == (None, multi_input_qa.ANSWER_VOCABULARY_SIZE)
    text, question, answers = multi_input_qa.random_data(6, 7, seed=0)
    assert text.shape == question.shape == (6, 7) and answers.shape == (6, 500)
    assert np.array_equal(answers.sum(axis=1), np.ones(6)) and text.min() >= 1
    by_list = model.predict([text, question], verbose=0)
    by_name = model.predict({"question": question, "text": text}, verbose=0)
    swapped = model.predict([question, text], verbose=0)
    assert np.allclose(by_list, by_name, atol=1e-6)
    assert not np.allclose(by_list, swapped, atol=1e-6)  # the names, not the order, matched


def test_multi_input_qa_smoke_and_what_reaches_keras(out_dir, tiny_data, keras_calls):
    result = multi_input_qa.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["prediction_shape"] == "(samples, 500)" and m["prediction_array_shape"] == [64, 500]
    assert m["input_names"] == ["text", "question"]
    assert finite(m["loss_list_inputs"], m["loss_dict_inputs"])
    assert result["data"] == []  # random data: no files read
    assert (out_dir / "chapter07" / "multi_input_qa.smoke.json").exists()
    # the graph, where pydot and Graphviz are here, is a figure named relative to the output folder
    graph = ["chapter07/multi_input_qa.smoke_model.png"] if GRAPHVIZ else []
    assert result["figures"] == graph

    # Listing 7.3: fit once with a list (in the Inputs' order: text, question), once with a dict
    # keyed by the Input names; the same arrays must reach the same input both times, and the
    # same answers with them. Text and question are both random word indices: only this
    # consistency tells a swapped pair.
    by_list, by_dict = keras_calls.of("fit")
    text, question = by_list.x
    assert isinstance(by_dict.x, dict) and set(by_dict.x) == {"text", "question"}
    assert np.array_equal(by_dict.x["text"], text)
    assert np.array_equal(by_dict.x["question"], question)
    assert not np.array_equal(text, question)
    assert text.shape == question.shape == (64, 20)  # smoke: 64 samples of 20 words
    assert 1 <= min(text.min(), question.min()) and max(text.max(), question.max()) < 10000
    answers = by_list.y
    assert np.array_equal(by_dict.y, answers) and answers.shape == (64, 500)
    assert np.array_equal(answers.sum(axis=1), np.ones(64)) and set(np.unique(answers)) == {0, 1}
    assert len(set(answers.argmax(axis=1))) > 10  # random answers, not one class
    for fit in (by_list, by_dict):
        assert (fit.epochs, fit.batch_size) == (1, 128)  # smoke's epochs, the book's batch
        assert fit.learning_rate == np.float32(0.001)
    # the predictions compared: list and dict of the same arrays
    list_pred, dict_pred = keras_calls.of("predict")
    assert np.array_equal(list_pred.x[0], text) and np.array_equal(list_pred.x[1], question)
    assert np.array_equal(dict_pred.x["text"], text)
    assert np.array_equal(dict_pred.x["question"], question)


def test_multi_input_qa_full_profile_is_the_books():
    args = multi_input_qa.parse_args(["--profile", "full"])
    assert (args.epochs, args.num_samples, args.max_length) == (10, 1000, 100)


def test_plot_model_graph_never_fails(tmp_path, capsys):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    path = graphs.plot_model(model, tmp_path / "g.png")
    if GRAPHVIZ:  # pydot and Graphviz' dot here: a PNG
        assert path == tmp_path / "g.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:  # one line, no file, no exception
        assert path is None and not (tmp_path / "g.png").exists()
        assert capsys.readouterr().out.startswith("note: model graph not plotted")
