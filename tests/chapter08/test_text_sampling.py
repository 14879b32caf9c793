"""Chapter 8, sampling with a temperature (listing 8.1): the reweighted distribution against
NumPy, draws at low temperature are the argmax, and the script's report."""

import math

import numpy as np
import pytest

from chapter08 import char_lstm_generation, text_sampling
from chapter08.text_sampling import reweight_distribution, sample


def test_reweight_distribution_sharpens_and_flattens():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    assert np.allclose(reweight_distribution(p, 1.0), p)
    cold, hot = reweight_distribution(p, 0.2), reweight_distribution(p, 2.0)
    assert np.isclose(cold.sum(), 1) and np.isclose(hot.sum(), 1)
    assert cold[0] > p[0] > hot[0] and hot[-1] > p[-1] > cold[-1]
    for t in (0.01, 0.2, 0.5, 1.2, 2.0):  # listing 8.1: p ** (1 / T), renormalized
        assert np.allclose(reweight_distribution(p, t), p ** (1 / t) / np.sum(p ** (1 / t)))
    with pytest.raises(ValueError):
        reweight_distribution(p, 0)


# near-one-hot at T=0.01 whatever the position of the top (the runner-up is 3/4 of it or less)
PEAKED = [
    np.array([0.4, 0.3, 0.2, 0.1]),
    np.array([0.1, 0.2, 0.3, 0.4]),
    np.array([0.05, 0.15, 0.45, 0.3, 0.05]),
]


@pytest.mark.parametrize("sampler", [text_sampling.sample, char_lstm_generation.sample])
def test_sample_at_low_temperature_is_the_argmax(sampler):
    rng = np.random.default_rng(0)
    for p in PEAKED:
        assert {sampler(p, 0.01, rng) for _ in range(200)} == {int(np.argmax(p))}
        # at T=1 the same draws spread: the temperature, not the sampler, made them one
        assert len({sampler(p, 1.0, rng) for _ in range(200)}) == len(p)


def test_sample_lower_temperature_concentrates_draws():
    p = np.array([0.4, 0.3, 0.2, 0.1])
    rng = np.random.default_rng(0)
    n = 4000

    def top_share(t):
        return np.mean([sample(p, t, rng) == 0 for _ in range(n)])

    share_1, share_05, share_02 = top_share(1.0), top_share(0.5), top_share(0.2)
    # expected 0.4, 0.533, 0.80; 4000 draws: standard error < 0.008
    assert abs(share_1 - 0.4) < 0.03 and abs(share_05 - 16 / 30) < 0.03
    assert share_02 > share_05 + 0.2 > share_1 + 0.3
    # temperature -> 0 is argmax, even when the top is only slightly ahead
    q = np.array([0.26, 0.25, 0.25, 0.24])
    assert {sample(q, 1e-4, rng) for _ in range(300)} == {0}


def test_the_two_samples_agree():
    """char_lstm_generation writes the book's `sample` out again: the same draws as
    text_sampling's, from the same generator, for model-like outputs (float32, zeros too)."""
    rng = np.random.default_rng(7)
    cases = [rng.dirichlet(np.ones(57) * a).astype("float32") for a in (0.1, 1.0, 10.0)]
    cases.append(np.array([0.0, 0.5, 0.3, 0.2, 0.0]))  # impossible characters stay impossible
    for preds in cases:
        for t in (0.01, 0.2, 0.5, 1.0, 1.2, 2.0):
            a, b = np.random.default_rng(3), np.random.default_rng(3)
            draws = [char_lstm_generation.sample(preds, t, a) for _ in range(200)]
            assert draws == [text_sampling.sample(preds, t, b) for _ in range(200)]
            assert all(preds[d] > 0 for d in draws) and all(type(d) is int for d in draws)
    np.random.seed(5)  # no generator: NumPy's global one, as the book
    first = [char_lstm_generation.sample(cases[1], 1.0) for _ in range(50)]
    np.random.seed(5)
    assert first == [text_sampling.sample(cases[1], 1.0) for _ in range(50)]
    assert len(set(first)) > 5


def test_text_sampling_smoke(out_dir):
    result = text_sampling.main(["--profile", "smoke", "--output-dir", str(out_dir)])
    m = result["metrics"]
    p = text_sampling.ORIGINAL
    entropies = []
    for t in text_sampling.TEMPERATURES:  # reweighted here, as listing 8.1 writes it
        q = p ** (1 / t) / np.sum(p ** (1 / t))
        q_nz = q[q > 0]
        entropies.append(float(-np.sum(q_nz * np.log(q_nz))))
        assert math.isclose(m["top_probability_by_temperature"][f"T={t}"], q.max(), rel_tol=1e-9)
        # 500 seeded draws per temperature: their frequencies are those of q
        assert np.abs(np.array(m["draw_frequencies"][f"T={t}"]) - q).max() < 0.07
    assert np.allclose(list(m["entropy_by_temperature"].values()), entropies)
    assert np.all(np.diff(entropies) > 0) and m["top_probability_by_temperature"]["T=0.01"] > 0.99
    assert result["figures"] == ["chapter08/text_sampling.smoke.png"]
    assert (out_dir / "chapter08" / "text_sampling.smoke.png").exists()
    assert (out_dir / "chapter08" / "text_sampling.smoke.json").exists()


def test_plot_distributions_draws_every_bar():
    p = text_sampling.ORIGINAL
    reweighted = {t: reweight_distribution(p, t) for t in (0.5, 2.0)}
    fig = text_sampling.plot_distributions(p, reweighted)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert np.allclose(heights, np.concatenate([p, reweighted[0.5], reweighted[2.0]]))


# unsorted, with an impossible entry: a reweighting on the wrong axis, a missing renormalization
# or a temperature multiplied instead of divided each show
ASYMMETRIC = np.array([0.05, 0.6, 0.0, 0.25, 0.1])


def oracle(p, t):
    """exp(log p / T), normalized: listing 8.1 written here with NumPy."""
    with np.errstate(divide="ignore"):
        q = np.exp(np.log(p) / t)
    return q / q.sum()


@pytest.mark.parametrize("t", [0.1, 0.5, 1.0, 1.7])
def test_reweight_and_sample_against_numpy(t):
    q = oracle(ASYMMETRIC, t)
    assert np.allclose(reweight_distribution(ASYMMETRIC, t), q, rtol=1e-12, atol=1e-15)
    # each sampler draws from q: the same draws as NumPy's multinomial on q, same generator
    for sampler in (text_sampling.sample, char_lstm_generation.sample):
        a, b = np.random.default_rng(11), np.random.default_rng(11)
        draws = [sampler(ASYMMETRIC.astype("float32"), t, a) for _ in range(300)]
        assert draws == [int(np.argmax(b.multinomial(1, q, 1))) for _ in range(300)]
        assert 2 not in draws  # the impossible symbol stays impossible


def test_low_temperature_is_argmax_high_is_flatter():
    cold, hot = oracle(ASYMMETRIC, 0.01), reweight_distribution(ASYMMETRIC, 5.0)
    assert np.argmax(reweight_distribution(ASYMMETRIC, 0.01)) == 1 and cold[1] > 0.999
    assert hot[0] > ASYMMETRIC[0] and hot[1] < ASYMMETRIC[1] and hot[2] == 0
