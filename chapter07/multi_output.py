"""A multi-output model: age, income and gender from one social-media post (functional API).

Deep Learning with Python, section 7.1.3 (listings 7.4-7.6). Word indices ("posts") go through
Embedding(50000, 256) and a Conv1D/MaxPooling1D stack to 128 units, which feed three heads: age
(Dense(1), mse), income (Dense(10, softmax), categorical crossentropy) and gender (Dense(1,
sigmoid), binary crossentropy), with the book's loss weights {"age": 0.25, "income": 1.0, "gender":
10.0} so that the mse does not drown the crossentropies. The book gives no data: the model is fit on
seeded random data, which shows the wiring, not learning. The check: the total loss Keras reports
is the weighted sum of the three per-head losses.

Book: no numbers printed; shapes follow from the code: age (samples, 1), income (samples, 10),
gender (samples, 1).

Run:  python chapter07/multi_output.py [--profile smoke|quick|full] [--post-length N]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import keras
import numpy as np
from keras import layers

from dlwp import UserError, flags, graphs, results
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

PROFILES = {
    "smoke": {"epochs": 1, "num_samples": 32, "post_length": 280},
    "quick": {"epochs": 3, "num_samples": 512, "post_length": 300},
    "full": {"epochs": 10, "num_samples": 2560, "post_length": 500},  # the book gives no data size
}
BOOK = {
    "output_shapes": "age (samples, 1), income (samples, 10), gender (samples, 1)",
    "loss_weights": "age 0.25, income 1, gender 10",
    "age_loss": None,
    "income_loss": None,
    "gender_loss": None,
    "total_is_weighted_sum": "yes",
}
VOCABULARY_SIZE = 50000
NUM_INCOME_GROUPS = 10
LOSSES = {"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"}
LOSS_WEIGHTS = {"age": 0.25, "income": 1.0, "gender": 10.0}


def build_model():
    posts_input = keras.Input(shape=(None,), dtype="int32", name="posts")
    # the book's listing swaps the arguments, Embedding(256, vocabulary_size); input_dim first
    embedded_posts = layers.Embedding(VOCABULARY_SIZE, 256)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)

    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(NUM_INCOME_GROUPS, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)

    model = keras.Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer=keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON),
        loss=LOSSES,
        loss_weights=LOSS_WEIGHTS,
    )
    return model


def random_data(num_samples, post_length, seed):
    """Posts of random word indices and random targets for the three heads."""
    rng = np.random.default_rng(seed)
    posts = rng.integers(1, VOCABULARY_SIZE, size=(num_samples, post_length))
    targets = {
        "age": rng.standard_normal((num_samples, 1)).astype("float32"),  # standardized ages
        "income": keras.utils.to_categorical(
            rng.integers(0, NUM_INCOME_GROUPS, num_samples), NUM_INCOME_GROUPS
        ),
        "gender": rng.integers(0, 2, (num_samples, 1)).astype("float32"),
    }
    return posts, targets


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--num-samples", type=flags.positive_int, help="random posts")
    parser.add_argument("--post-length", type=int, help="words per post (>= 269)")
    args = flags.parse(parser, argv)
    if args.post_length < 269:  # shorter posts leave no time step at the end of the conv stack
        raise UserError(
            f"--post-length {args.post_length} is too short",
            "give at least 269 (the conv stack needs it)",
        )
    return args


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    run = results.Run(__file__, args, "Multi-output: age, income, gender (random data)", BOOK)

    # Data: random (the book gives none)
    posts, targets = random_data(args.num_samples, args.post_length, args.seed)

    # Model
    model = build_model()
    model.summary()
    graph = graphs.plot_model(model, run.path("_model.png"))
    if graph:
        run.add_figure(graph)

    # Train: targets passed as a dict keyed by the output layers' names
    history = model.fit(posts, targets, epochs=args.epochs, batch_size=64, verbose=2)

    # Evaluate: per-head losses, and the total as their weighted sum
    scores = model.evaluate(posts, targets, batch_size=64, verbose=0, return_dict=True)
    heads = {name: scores[f"{name}_loss"] for name in LOSSES}
    weighted = sum(LOSS_WEIGHTS[name] * heads[name] for name in LOSSES)
    weighted_ok = bool(np.isclose(scores["loss"], weighted, rtol=1e-3))
    age, income, gender = model.predict(posts[:8], verbose=0)
    shapes = {"age": age.shape[1:], "income": income.shape[1:], "gender": gender.shape[1:]}
    print(f"losses {scores}; weighted sum {weighted:.4f}")
    return run.finish(
        {
            "output_shapes": ", ".join(f"{k} (samples, {v[0]})" for k, v in shapes.items()),
            "output_names": model.output_names,
            "loss_weights": ", ".join(f"{k} {LOSS_WEIGHTS[k]:g}" for k in LOSSES),
            "age_loss": heads["age"],
            "income_loss": heads["income"],
            "gender_loss": heads["gender"],
            "total_loss": scores["loss"],
            "weighted_sum_of_head_losses": weighted,
            "total_is_weighted_sum": "yes" if weighted_ok else "no",
            "history": history.history,
            "parameters": model.count_params(),
            "model_graph": graph.name if graph else "not plotted (pydot/Graphviz missing)",
        }
    )


if __name__ == "__main__":
    flags.run(main)
