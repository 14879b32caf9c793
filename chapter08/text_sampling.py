"""Sampling strategy for text generation: reweighting a distribution with a temperature.

Deep Learning with Python, section 8.1.2 (listing 8.1). The book's `reweight_distribution` divides
the log-probabilities of a next-character distribution by a *temperature*, exponentiates and
renormalizes; `sample` draws one index from the result. Low temperatures concentrate the mass on the
likeliest entries (-> argmax), high ones flatten it toward uniform. Here one fixed distribution over
10 symbols is reweighted at temperatures 0.01 ... 2.0: entropy and top probability per temperature,
empirical frequencies of `sample`'s draws, and a plot of the reweighted distributions.

Book: no number (notebook 8.1 does not have listing 8.1); the book states the principle in words:
lower temperature => sharper (lower-entropy) distribution.

Run:  python chapter08/text_sampling.py [--profile smoke|quick|full]
"""

import numpy as np
from matplotlib.figure import Figure

from dlwp import flags, results

PROFILES = {
    "smoke": {"draws": 500},
    "quick": {"draws": 20000},
    "full": {"draws": 20000},
}
# Notebook 8.1 prints nothing for listing 8.1 (the book says it in words, see the docstring).
BOOK = {
    "entropy_by_temperature": None,
    "top_probability_by_temperature": None,
    "entropy_decreases_as_temperature_falls": None,
}
TEMPERATURES = (0.01, 0.2, 0.5, 1.0, 1.2, 2.0)
# A fixed "next character" distribution: a few likely symbols and a long tail.
ORIGINAL = np.array([0.40, 0.25, 0.12, 0.08, 0.05, 0.04, 0.03, 0.015, 0.01, 0.005])


def reweight_distribution(original_distribution, temperature=0.5):
    """Listing 8.1: the distribution raised to the power 1/temperature, renormalized."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    original_distribution = np.asarray(original_distribution, dtype="float64")
    with np.errstate(divide="ignore"):  # log(0) = -inf is fine: it stays impossible
        logits = np.log(original_distribution) / temperature
    logits -= np.max(logits)  # not in the book: exp of the largest is 1 (same result, no overflow)
    distribution = np.exp(logits)
    return distribution / np.sum(distribution)


def sample(preds, temperature=1.0, rng=None):
    """Draw one index from `preds` reweighted at `temperature` (the book's `sample`).

    `rng`: a `np.random.Generator` (seeded by the caller); default: NumPy's global RNG, as the book.
    """
    probas = reweight_distribution(preds, temperature)
    draw = (rng or np.random).multinomial(1, probas, 1)
    return int(np.argmax(draw))


def entropy(p):
    """Shannon entropy in nats (0 log 0 = 0)."""
    p = np.asarray(p, dtype="float64")
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


def plot_distributions(original, reweighted):
    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    width = 0.8 / (len(reweighted) + 1)
    index = np.arange(len(original))
    ax.bar(index, original, width, label="original", color="black")
    for k, (t, p) in enumerate(reweighted.items(), start=1):
        ax.bar(index + k * width, p, width, label=f"T={t}")
    ax.set(
        title="Reweighting one distribution at different temperatures",
        xlabel="symbol",
        ylabel="probability",
    )
    ax.legend()
    return fig


def parse_args(argv=None):
    parser = flags.parser(__doc__, PROFILES)
    parser.add_argument("--draws", type=flags.positive_int, help="samples drawn per temperature")
    return flags.parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)  # the only randomness here: NumPy, no Keras
    run = results.Run(__file__, args, "Sampling with a softmax temperature", BOOK)

    reweighted = {t: reweight_distribution(ORIGINAL, t) for t in TEMPERATURES}
    entropies = {f"T={t}": entropy(p) for t, p in reweighted.items()}
    top = {f"T={t}": float(p.max()) for t, p in reweighted.items()}
    frequencies = {}
    for t in TEMPERATURES:
        draws = np.bincount(
            [sample(ORIGINAL, t, rng) for _ in range(args.draws)], minlength=len(ORIGINAL)
        )
        frequencies[f"T={t}"] = draws / args.draws
        print(f"T={t}: entropy {entropies[f'T={t}']:.3f} nats, top p {top[f'T={t}']:.3f}")

    run.save_figure(plot_distributions(ORIGINAL, reweighted), ".png")
    values = list(entropies.values())
    max_freq_error = max(
        float(np.abs(frequencies[f"T={t}"] - reweighted[t]).max()) for t in TEMPERATURES
    )
    return run.finish(
        {
            "entropy_by_temperature": entropies,
            "top_probability_by_temperature": top,
            "entropy_decreases_as_temperature_falls": bool(np.all(np.diff(values) > 0)),
            "original_entropy": entropy(ORIGINAL),
            "draw_frequencies": frequencies,
            "max_abs_frequency_error": max_freq_error,
        }
    )


if __name__ == "__main__":
    flags.run(main)
