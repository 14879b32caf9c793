"""Character-level text generation with an LSTM, trained on Nietzsche.

Deep Learning with Python, section 8.1.4 (notebook 8.1). The lower-cased corpus is cut into
60-character sequences every 3 characters, one-hot encoded, and LSTM(128) -> Dense(softmax) learns
the next character (RMSprop(learning_rate=0.01), batch 128). After every epoch a random 60-character
seed is extended by 400 characters at temperatures 0.2, 0.5, 1.0 and 1.2 with the book's `sample`
(listing 8.6), each temperature continuing the previous one's text as in the notebook; all of it
goes to results/chapter08/char_lstm_generation.txt. `quick` (2 epochs) turns on `--guard`, our
addition: gradient clipping, and a stop with the best weights restored if the loss diverges.

Book (notebook 8.1, cell 13): 59 epochs; the training loss fell from 1.9895 to 1.3014 (epoch 54),
then diverged (56: 1.5978, 57: 4.7329, 58: 12.5951, 59: 14.5726). `full` is that run, unguarded:
the book's settings, not its random draws, so whether and when it diverges is not reproducible.

Run:  python chapter08/char_lstm_generation.py [--profile smoke|quick|full] [--epochs N] [--guard]
"""

import dlwp.quiet  # noqa: F401  (first: TensorFlow loads without its C++ startup lines)

import argparse
import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from dlwp import flags, results
from dlwp.data import nietzsche
from dlwp.errors import UserError
from dlwp.optimizers import KERAS2_RMSPROP_EPSILON

# quick: ~100 s an epoch on 2 CPU cores, loss ~2.0 after the first
PROFILES = {
    "smoke": {"epochs": 1, "max_chars": 3000, "gen_length": 40, "guard": True},
    "quick": {"epochs": 2, "max_chars": None, "gen_length": 400, "guard": True},
    "full": {"epochs": 59, "max_chars": None, "gen_length": 400, "guard": False},  # cell 13
}
# Notebook 8.1, cell 13: the `Epoch 1/1 ... loss:` line of each of the 59 loop epochs.
BOOK_LOSSES = [
    1.9895, 1.6382, 1.5460, 1.4973, 1.4682, 1.4466, 1.4282, 1.4150, 1.4035, 1.3947,  # 1-10
    1.3844, 1.3772, 1.3722, 1.3646, 1.3608, 1.3559, 1.3512, 1.3477, 1.3436, 1.3391,  # 11-20
    1.3378, 1.3333, 1.3316, 1.3281, 1.3253, 1.3228, 1.3207, 1.3176, 1.3180, 1.3154,  # 21-30
    1.3148, 1.3159, 1.3124, 1.3112, 1.3095, 1.3071, 1.3131, 1.3183, 1.3068, 1.3098,  # 31-40
    1.3371, 1.3126, 1.3076, 1.3073, 1.3052, 1.3068, 1.3025, 1.3048, 1.3035, 1.3031,  # 41-50
    1.3079, 1.3046, 1.3120, 1.3014, 1.3026, 1.5978, 4.7329, 12.5951, 14.5726,  # 51-59
]  # fmt: skip
BOOK = {
    "loss_per_epoch": BOOK_LOSSES,  # cell 13
    "final_loss": 14.5726,  # cell 13: epoch 59 (diverged)
    "min_loss": 1.3014,  # cell 13: epoch 54
    "sample_T0.5": None,  # random text: nothing to compare
    "sample_T1.0": None,
    "text_file": None,
}
MAXLEN = 60
STEP = 3
TEMPERATURES = (0.2, 0.5, 1.0, 1.2)
# --guard (our addition, off in full): RMSprop clips each gradient's norm to 1.0, the usual cure
# for a blow-up at a learning rate as high as 0.01, and an epoch whose loss is more than 25% above
# the best so far stops training with the best weights restored. Unguarded, only a non-finite loss
# stops a run.
DIVERGENCE_FACTOR = 1.25


def sample(preds, temperature=1.0, rng=None):
    """Listing 8.6: reweight `preds` at `temperature`, then draw one index from it.

    `rng`: a `np.random.Generator` (seeded by the caller); default: NumPy's global RNG, as the book.
    """
    preds = np.asarray(preds).astype("float64")
    with np.errstate(divide="ignore"):  # log(0) = -inf: a character that stays impossible
        preds = np.log(preds) / temperature
    exp_preds = np.exp(preds - np.max(preds))  # max subtracted: same result, no overflow
    preds = exp_preds / np.sum(exp_preds)
    probas = (rng or np.random).multinomial(1, preds, 1)
    return int(np.argmax(probas))


def extract_sequences(text, maxlen=MAXLEN, step=STEP):
    """Overlapping `maxlen`-character sequences every `step` characters, and the next character."""
    sentences, next_chars = [], []
    for i in range(0, len(text) - maxlen, step):
        sentences.append(text[i : i + maxlen])
        next_chars.append(text[i + maxlen])
    return sentences, next_chars


def vectorize(sentences, next_chars, char_indices):
    """One-hot encode: x (n, maxlen, n_chars) and y (n, n_chars), booleans (listing 8.4)."""
    n_chars = len(char_indices)
    maxlen = len(sentences[0]) if sentences else MAXLEN
    x = np.zeros((len(sentences), maxlen, n_chars), dtype=bool)
    y = np.zeros((len(sentences), n_chars), dtype=bool)
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1
        y[i, char_indices[next_chars[i]]] = 1
    return x, y


def one_hot_dataset(sentences, next_chars, char_indices, batch_size=128, seed=None):
    """The same (x, y) as `vectorize`, one-hot encoded batch by batch, shuffled each epoch."""
    # instead of the book's whole arrays (200,000 x 60 x 57 booleans, 2.7 GB once cast to float):
    # the network sees the same inputs, reshuffled every epoch as fit(x, y) does
    n_chars = len(char_indices)
    x_idx = np.array([[char_indices[c] for c in s] for s in sentences], dtype="int32")
    y_idx = np.array([char_indices[c] for c in next_chars], dtype="int32")
    ds = tf.data.Dataset.from_tensor_slices((x_idx, y_idx))
    ds = ds.shuffle(len(x_idx), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    ds = ds.map(lambda x, y: (tf.one_hot(x, n_chars), tf.one_hot(y, n_chars)))
    return ds.prefetch(tf.data.AUTOTUNE)


def build_model(maxlen, n_chars, clipnorm=None):
    """Listing 8.5, compiled as the book does; `clipnorm=1.0`: the guard's gradient clipping."""
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen, n_chars)),
            layers.LSTM(128),  # gates: Keras 3's sigmoid (Keras 2.0.8: hard_sigmoid; see README)
            layers.Dense(n_chars, activation="softmax"),
        ]
    )
    optimizer = keras.optimizers.RMSprop(
        learning_rate=0.01, clipnorm=clipnorm, epsilon=KERAS2_RMSPROP_EPSILON
    )
    model.compile(loss="categorical_crossentropy", optimizer=optimizer)
    return model


def generate_text(model, seed_text, temperature, length, char_indices, rng):
    """Extend `seed_text` by `length` characters, each drawn with `sample` at `temperature`."""
    chars = sorted(char_indices, key=char_indices.get)
    maxlen = len(seed_text)
    generated = seed_text
    for _ in range(length):
        sampled = np.zeros((1, maxlen, len(chars)), dtype="float32")
        for t, char in enumerate(generated[-maxlen:]):
            sampled[0, t, char_indices[char]] = 1.0
        # the book's model.predict(x): the same output without predict's per-call overhead
        preds = np.asarray(model.predict_on_batch(sampled))[0]
        generated += chars[sample(preds, temperature, rng)]
    return generated[maxlen:]


def generate_at_temperatures(model, seed_text, temperatures, length, char_indices, rng):
    """The notebook's inner loop: [(start, generated)] per temperature, where each temperature
    starts from the last `len(seed_text)` characters of the previous one's text."""
    maxlen = len(seed_text)
    window, out = seed_text, []
    for temperature in temperatures:
        generated = generate_text(model, window, temperature, length, char_indices, rng)
        out.append((window, generated))
        window = (window + generated)[-maxlen:]
    return out


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--max-chars", type=flags.positive_int, help="use only the text's start")
    parser.add_argument("--gen-length", type=flags.positive_int, help="characters per sample")
    parser.add_argument("--batch-size", type=flags.positive_int, default=128)
    parser.add_argument(
        "--guard",
        action=argparse.BooleanOptionalAction,
        help="clip gradients and stop at a divergence (our addition; off in full, the book's run)",
    )
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)  # the seed texts and the sampled characters
    run = results.Run(__file__, args, "Character-level LSTM text generation (Nietzsche)", BOOK)

    # Data
    text = nietzsche.load_text(args.folders).lower()
    text = text[: args.max_chars]
    if len(text) < 2 * MAXLEN:
        raise UserError(f"the corpus has {len(text)} characters; need at least {2 * MAXLEN}")
    print("Corpus length:", len(text))
    sentences, next_chars = extract_sequences(text, MAXLEN, STEP)
    print("Number of sequences:", len(sentences))
    chars = sorted(set(text))
    print("Unique characters:", len(chars))
    char_indices = {char: chars.index(char) for char in chars}
    dataset = one_hot_dataset(sentences, next_chars, char_indices, args.batch_size, args.seed)

    # Model
    model = build_model(MAXLEN, len(chars), clipnorm=1.0 if args.guard else None)

    # Train, generating text after every epoch
    out_path = run.path(".txt")
    losses, best_loss, best_weights, stopped = [], math.inf, None, None
    samples = {}
    with open(out_path, "w", encoding="utf-8") as out:
        out.write(f"# {run.exercise}: {len(text)} characters, {len(sentences)} sequences\n")
        for epoch in range(1, args.epochs + 1):
            print("epoch", epoch)
            loss = model.fit(dataset, epochs=1, verbose=2).history["loss"][0]
            losses.append(loss)
            # A non-finite loss always ends the run: NaN weights generate no text (the notebook's
            # `sample` would fail on them), and every later epoch would be NaN too.
            if not math.isfinite(loss) or (args.guard and loss > DIVERGENCE_FACTOR * best_loss):
                stopped = f"loss {loss:.3f} at epoch {epoch} vs best {best_loss:.3f}"
                if args.guard and best_weights is not None:
                    model.set_weights(best_weights)
                    print(f"diverging ({stopped}): stopping, best weights restored")
                else:
                    print(f"diverged ({stopped}): stopping")
                out.write(f"\n## stopped at epoch {epoch}: {stopped}\n")
                break
            if loss < best_loss:
                best_loss = loss
                best_weights = model.get_weights() if args.guard else None

            # the book's random.randint(0, len(text) - maxlen - 1), both ends included
            start_index = int(rng.integers(0, len(text) - MAXLEN))
            seed_text = text[start_index : start_index + MAXLEN]
            out.write(f"\n## epoch {epoch}, loss {loss:.4f}\n--- seed: {seed_text!r}\n")
            print(f'--- Generating with seed: "{seed_text}"')
            texts = generate_at_temperatures(
                model, seed_text, TEMPERATURES, args.gen_length, char_indices, rng
            )
            for temperature, (start, generated) in zip(TEMPERATURES, texts, strict=True):
                samples[f"sample_T{temperature}"] = generated
                out.write(f"\n------ temperature: {temperature}\n{start}{generated}\n")
                print(f"------ temperature: {temperature}\n{start}{generated}", flush=True)

    excerpts = {k: v[:160] for k, v in samples.items()}
    return run.finish(
        {
            "loss_per_epoch": losses,
            "final_loss": best_loss if stopped and args.guard else losses[-1],
            "min_loss": min(filter(math.isfinite, losses), default=None),
            "divergence_stop": stopped,
            **excerpts,
            "text_file": run.relative(out_path),
            "n_sequences": len(sentences),
            "n_chars": len(chars),
        }
    )


if __name__ == "__main__":
    flags.run(main)
