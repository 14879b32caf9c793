"""Character-level text generation with an LSTM, trained on Nietzsche.

Deep Learning with Python, section 8.1.4. The corpus is lower-cased and cut into overlapping
sequences of `maxlen` = 60 characters, sampled every `step` = 3 characters; the target of each is
the character that follows it. Sequences and targets are one-hot encoded over the corpus' distinct
characters, and a single LSTM(128) followed by Dense(n_chars, softmax) learns to predict the next
character (RMSprop(learning_rate=0.01), categorical crossentropy, batch 128). After every epoch a
random 60-character seed from the text is extended by 400 characters at temperatures 0.2, 0.5, 1.0
and 1.2, drawing each character with the book's `sample` (listing 8.6: the reweighting of
chapter08/text_sampling.py, written out here as the book prints it again). Everything generated
goes to `results/chapter08/char_lstm_generation.txt`; the results hold an excerpt of the last
epoch's text.

Book: 60 epochs; the training loss reached its minimum of about 1.30 around epoch 54, then the run
diverged (loss 1.30 -> 14.6 in the last epochs) and produced garbage.
`quick`: 2 epochs on the whole text (~100 s each on 2 CPU cores; loss ~2.0 after the first).
Guard against that divergence (our choice): RMSprop clips each gradient's norm to 1.0
(`clipnorm=1.0`), which bounds the size of a step when a large gradient appears, the usual cause
of such a blow-up with a high learning rate like 0.01; and if an epoch's loss is still more than
25% above the best so far (or not finite), training stops and the best weights are restored, so a
diverged model never writes the final text.

Ported: `RMSprop(lr=0.01)` -> `RMSprop(learning_rate=0.01, clipnorm=1.0)`; the book's one-hot
arrays (200,000 x 60 x 57 booleans, ~0.7 GB, and 2.7 GB once Keras casts them to float) are built
per batch instead: a tf.data pipeline holds the character indices and one-hot encodes each batch
with `tf.one_hot` (the network sees exactly the same inputs); `model.predict(x)` in the generation
loop -> `model.predict_on_batch(x)` (same output, no per-call progress bar overhead); `sample`
subtracts the max before `np.exp` (same result, no overflow at low temperature) and takes a seeded
`np.random.Generator`.

Run:  python chapter08/char_lstm_generation.py [--profile smoke|quick|full] [--epochs N]
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from dlwp import flags, results
from dlwp.data import nietzsche
from dlwp.errors import UserError

PROFILES = {
    "smoke": {"epochs": 1, "max_chars": 3000, "gen_length": 40},
    "quick": {"epochs": 2, "max_chars": None, "gen_length": 400},
    "full": {"epochs": 60, "max_chars": None, "gen_length": 400},
}
BOOK = {
    "loss_per_epoch": "min 1.30 at epoch 54, then diverged to 14.6",
    "final_loss": None,
    "sample_T0.5": None,
    "sample_T1.0": None,
    "text_file": None,
}
MAXLEN = 60
STEP = 3
TEMPERATURES = (0.2, 0.5, 1.0, 1.2)
DIVERGENCE_FACTOR = 1.25


def sample(preds, temperature=1.0, rng=None):
    """Listing 8.6: reweight `preds` at `temperature`, then draw one index from it.

    `rng`: a `np.random.Generator` (seeded by the caller); default: NumPy's global RNG, as the book.
    """
    preds = np.asarray(preds).astype("float64")
    with np.errstate(divide="ignore"):  # log(0) = -inf: a character that stays impossible
        preds = np.log(preds) / temperature
    exp_preds = np.exp(preds - np.max(preds))
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
    n_chars = len(char_indices)
    x_idx = np.array([[char_indices[c] for c in s] for s in sentences], dtype="int32")
    y_idx = np.array([char_indices[c] for c in next_chars], dtype="int32")
    ds = tf.data.Dataset.from_tensor_slices((x_idx, y_idx))
    ds = ds.shuffle(len(x_idx), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    ds = ds.map(lambda x, y: (tf.one_hot(x, n_chars), tf.one_hot(y, n_chars)))
    return ds.prefetch(tf.data.AUTOTUNE)


def build_model(maxlen, n_chars):
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen, n_chars)),
            layers.LSTM(128),
            layers.Dense(n_chars, activation="softmax"),
        ]
    )
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01, clipnorm=1.0)
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
        preds = np.asarray(model.predict_on_batch(sampled))[0]
        generated += chars[sample(preds, temperature, rng)]
    return generated[maxlen:]


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--max-chars", type=flags.positive_int, help="use only the text's start")
    parser.add_argument("--gen-length", type=flags.positive_int, help="characters per sample")
    parser.add_argument("--batch-size", type=flags.positive_int, default=128)
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)  # the seed texts and the sampled characters
    run = results.Run(__file__, args, "Character-level LSTM text generation (Nietzsche)", BOOK)

    # Data
    text = nietzsche.load_text(args.data).lower()
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
    model = build_model(MAXLEN, len(chars))

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
            if not math.isfinite(loss) or loss > DIVERGENCE_FACTOR * best_loss:
                stopped = f"loss {loss:.3f} at epoch {epoch} vs best {best_loss:.3f}"
                print(f"diverging ({stopped}): stopping, best weights restored")
                model.set_weights(best_weights)
                out.write(f"\n## stopped at epoch {epoch}: {stopped}\n")
                break
            if loss < best_loss:
                best_loss, best_weights = loss, model.get_weights()

            start_index = int(rng.integers(0, len(text) - MAXLEN - 1))
            seed_text = text[start_index : start_index + MAXLEN]
            out.write(f"\n## epoch {epoch}, loss {loss:.4f}\n--- seed: {seed_text!r}\n")
            print(f'--- Generating with seed: "{seed_text}"')
            for temperature in TEMPERATURES:
                generated = generate_text(
                    model, seed_text, temperature, args.gen_length, char_indices, rng
                )
                samples[f"sample_T{temperature}"] = generated
                out.write(f"\n------ temperature: {temperature}\n{seed_text}{generated}\n")
                print(f"------ temperature: {temperature}\n{seed_text}{generated}", flush=True)

    excerpts = {k: v[:160] for k, v in samples.items()}
    return run.finish(
        {
            "loss_per_epoch": losses,
            "final_loss": losses[-1] if stopped is None else best_loss,
            "min_loss": min(losses),
            "divergence_stop": stopped,
            **excerpts,
            "text_file": run.relative(out_path),
            "n_sequences": len(sentences),
            "n_chars": len(chars),
        }
    )


if __name__ == "__main__":
    flags.run(main)
