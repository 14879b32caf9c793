"""Chapter 7, the multi-output model (listings 7.4-7.6): one trunk, three heads, each target
reaching its own head, the book's losses and loss weights."""

import math

import numpy as np
import pytest
from ch07_helpers import RMSPROP, compiled, finite, inputs, specs
from support import smoke_args

from chapter07 import multi_output
from dlwp import UserError


def test_multi_output_is_the_books_model():
    """Listings 7.4-7.5: one trunk, three heads, the book's losses and loss weights."""
    model = multi_output.build_model()
    assert [t.name for t in model.inputs] == ["posts"]
    assert inputs(model) == [((None, None), "int32")]
    assert specs(model) == [
        "Embedding(50000, 256)",
        "Conv1D(128, 5, relu)",
        "MaxPooling1D(5)",
        "Conv1D(256, 5, relu)",
        "Conv1D(256, 5, relu)",
        "MaxPooling1D(5)",
        "Conv1D(256, 5, relu)",
        "Conv1D(256, 5, relu)",
        "GlobalMaxPooling1D()",
        "Dense(128, relu)",
        "Dense(1)",
        "Dense(10, softmax)",
        "Dense(1, sigmoid)",
    ]
    assert model.output_names == ["age", "income", "gender"]
    trunk = model.layers[-4].output
    assert all(model.get_layer(h).input is trunk for h in ("age", "income", "gender"))
    assert compiled(model) == {
        "optimizer": RMSPROP,
        "loss": {
            "age": "mse",
            "income": "categorical_crossentropy",
            "gender": "binary_crossentropy",
        },
        "loss_weights": {"age": 0.25, "income": 1.0, "gender": 10.0},
        "metrics": None,
    }


def _is_age(a):  # standardized ages: continuous values around 0
    return a.shape[1:] == (1,) and a.dtype.kind == "f" and len(np.unique(a)) == len(a)


def _is_income(a):  # one-hot over the 10 income groups
    return a.shape[1:] == (10,) and np.array_equal(a.sum(axis=1), np.ones(len(a)))


def _is_gender(a):  # 0 or 1
    return a.shape[1:] == (1,) and set(np.unique(a)) <= {0.0, 1.0}


def test_multi_output_heads_and_weighted_loss(out_dir, tiny_data, keras_calls):
    result = multi_output.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["output_names"] == ["age", "income", "gender"]
    heads = [m["age_loss"], m["income_loss"], m["gender_loss"]]
    assert finite(*heads, m["total_loss"])
    assert math.isclose(m["total_loss"], 0.25 * heads[0] + heads[1] + 10 * heads[2], rel_tol=1e-3)
    assert not math.isclose(m["total_loss"], sum(heads), rel_tol=1e-2)  # the weights count
    assert m["output_shapes"] == "age (samples, 1), income (samples, 10), gender (samples, 1)"
    assert set(m["history"]) >= {"loss", "age_loss", "income_loss", "gender_loss"}

    # Listing 7.6: each target reaches the head of its name (told apart by what they hold), with
    # the posts they were drawn with; fit and evaluate see the same pairs
    [fit] = keras_calls.of("fit")
    [evaluate] = keras_calls.of("evaluate")
    posts, targets = fit.x, fit.y
    assert posts.shape == (32, 280) and 1 <= posts.min() and posts.max() < 50000
    assert isinstance(targets, dict) and set(targets) == {"age", "income", "gender"}
    assert _is_age(targets["age"]) and abs(float(targets["age"].mean())) < 0.5
    assert _is_income(targets["income"]) and _is_gender(targets["gender"])
    assert not _is_gender(targets["age"]) and len(np.unique(targets["gender"])) == 2
    assert all(len(t) == len(posts) for t in targets.values())
    assert np.array_equal(evaluate.x, posts)
    assert all(np.array_equal(evaluate.y[k], targets[k]) for k in targets)
    assert (fit.epochs, fit.batch_size, evaluate.batch_size) == (1, 64, 64)
    assert fit.learning_rate == np.float32(0.001)
    # the model trained is compiled with the book's loss weights
    assert fit.model.get_compile_config()["loss_weights"] == {
        "age": 0.25,
        "income": 1.0,
        "gender": 10.0,
    }
    [predict] = keras_calls.of("predict")
    assert np.array_equal(predict.x, posts[:8])


def test_multi_output_rejects_short_posts(out_dir):
    with pytest.raises(UserError) as exc:
        multi_output.main(
            ["--profile", "smoke", "--post-length", "100", "--output-dir", str(out_dir)]
        )
    assert exc.value.problem == "--post-length 100 is too short" and "269" in exc.value.fix
    assert not out_dir.exists()  # refused before anything ran
