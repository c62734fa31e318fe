"""Simulation-based calibration: its rank and test helpers, and a small run of real fits."""

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "validation"))

import sbc  # noqa: E402

import multilevel as ml  # noqa: E402


def test_rank_counts_draws_below_the_truth():
    rng = np.random.default_rng(0)
    assert sbc.rank_of(0.5, np.array([0.1, 0.9, 0.2]), rng) == 2
    assert sbc.rank_of(-1.0, np.array([0.1, 0.9, 0.2]), rng) == 0
    assert sbc.rank_of(2.0, np.array([0.1, 0.9, 0.2]), rng) == 3
    # a truth equal to repeated draws takes each possible rank
    ranks = {sbc.rank_of(0.5, np.array([0.1, 0.5, 0.5, 0.9]), rng) for _ in range(200)}
    assert ranks == {1, 2, 3}


def test_thin_keeps_evenly_spaced_draws_across_chains():
    kept = sbc.thin(np.arange(1000), 99)
    assert len(kept) == 99
    assert kept[0] == 0 and kept[-1] >= 980
    assert np.all(np.diff(kept) >= 10)
    with pytest.raises(ValueError):
        sbc.thin(np.arange(50), 99)


def test_chi_square_matches_its_definition():
    ranks = np.array([0, 0, 5, 19, 10, 10, 10, 11, 3, 17])
    counts = sbc.bin_counts(ranks, ranked=19, bins=4)
    assert counts.tolist() == [3, 1, 4, 2]
    expected = len(ranks) / 4
    statistic = np.sum((counts - expected) ** 2 / expected)
    result = sbc.chi_square_uniformity(ranks, ranked=19, bins=4)
    assert result == pytest.approx((statistic, stats.chi2.sf(statistic, 3)))
    with pytest.raises(ValueError):
        sbc.bin_counts([20], ranked=19, bins=4)
    with pytest.raises(ValueError):
        sbc.bin_counts([1], ranked=19, bins=3)


def test_ranks_detect_a_miscalibrated_posterior():
    # exact posterior draws give uniform ranks; draws too narrow by half pile up at the ends
    rng = np.random.default_rng(1)
    truth = rng.normal(size=400)
    exact = [sbc.rank_of(t, rng.normal(size=99), rng) for t in truth]
    narrow = [sbc.rank_of(t, rng.normal(scale=0.5, size=99), rng) for t in truth]
    assert sbc.chi_square_uniformity(exact)[1] > 1e-3
    assert sbc.chi_square_uniformity(narrow)[1] < 1e-6
    low, high = sbc.uniform_band(400)
    assert low < 20 < high


@pytest.mark.parametrize("prior, lower, mean, sd", [
    ("normal(0, 2)", None, 0.0, 2.0),
    ("normal(0, 2)", 0.0, 2.0 * np.sqrt(2.0 / np.pi), 2.0 * np.sqrt(1.0 - 2.0 / np.pi)),
    ("gamma(2, 0.5)", 0.0, 4.0, np.sqrt(8.0)),
    ("exponential(2)", 0.0, 0.5, 0.5),
    ("lkj(2)", None, 0.0, np.sqrt(1.0 / 5.0)),
])
def test_prior_draws_have_the_prior_moments(prior, lower, mean, sd):
    draws = sbc.draw_prior(np.random.default_rng(2), prior, size=40_000, lower=lower)
    assert np.mean(draws) == pytest.approx(mean, abs=0.03 * max(sd, 1.0))
    assert np.std(draws) == pytest.approx(sd, rel=0.03)
    if lower is not None:
        assert draws.min() >= lower


@pytest.mark.parametrize("name", list(sbc.MODELS))
def test_every_parameter_has_the_drawn_prior(name):
    # a prior left at brms's default would depend on the simulated response, and the truth
    # would no longer be drawn from the prior the fit uses
    model = sbc.MODELS[name]
    simulation = model.sample(sbc.replication_seed(name, 0))
    table = ml.get_prior(model.formula, simulation.data, model.family, prior=model.prior_list())
    assert set(table["source"]) <= {"user", "(vectorized)"}
    general = table[table["source"] == "user"]
    assert dict(zip(general["class"], general["prior"], strict=True)) == model.priors
    assert {"b_Intercept", "Intercept", "b_x"} <= set(simulation.truth)
    assert all(np.isfinite(list(simulation.truth.values())))


# every replication compiles a new model for its data (numpyro's programs fold the data in),
# so a few replications keep the default suite quick; validation/sbc.py runs the full study
SMALL_REPLICATIONS = 6


@pytest.mark.slow
def test_small_calibration_run_gives_uniform_ranks():
    model = sbc.MODELS["poisson_offset"]
    ranked = 19
    settings = sbc.Settings(sampler="numpyro", chains=1, draws=100, warmup=100, ranked=ranked)
    results = sbc.run(model, range(SMALL_REPLICATIONS), settings, log=None, size=(8, 5))
    assert (results["status"] == "ok").all()
    counts = results.groupby("parameter")["replication"].nunique()
    assert len(counts) == 6 and (counts == SMALL_REPLICATIONS).all()
    ranks = results["rank"].astype(int)
    assert ranks.between(0, ranked).all()
    # a biased posterior puts its truth outside the draws (rank 0 or L) nearly every time;
    # uniform ranks do that in every replication with probability 0.1 ** 6
    extreme = results["rank"].isin([0, ranked]).groupby(results["parameter"]).all()
    assert not extreme.any(), list(extreme[extreme].index)
    # ranks of one replication's parameters are dependent, so the pooled test is approximate:
    # the threshold is low enough for that and still fails when the ranks pile up
    _, p_value = sbc.chi_square_uniformity(ranks, ranked=ranked, bins=4)
    assert p_value > 1e-4
