"""Pointwise log densities, hypothesis parsing and PSIS-LOO, without sampling."""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import logsumexp

import multilevel as ml
from multilevel import blocks
from multilevel.families import get_family
from multilevel.results import psis
from multilevel.results.criteria import _criterion
from multilevel.results.hypothesis import _prior_column, hypothesis
from multilevel.results.psis import elpd_mcse, loo_expectation, psis_loo, relative_efficiency

RESPONSES = {
    "gaussian": [1.2, -0.3, 2.5], "student": [1.2, -0.3, 2.5], "lognormal": [0.5, 1.5, 4.0],
    "bernoulli": [0, 1, 1], "binomial": [0, 3, 7], "poisson": [0, 2, 9],
    "negbinomial": [0, 2, 9], "geometric": [0, 2, 9], "gamma": [0.5, 1.5, 4.0],
    "beta": [0.1, 0.5, 0.9],
}
AUX = {"sigma": 0.8, "nu": 5.0, "shape": 2.5, "phi": 6.0}


def _scipy_log_density(name, y, mu, aux, trials):
    """brms's densities in scipy's parametrisations: an oracle independent of PyMC."""
    if name == "gaussian":
        return stats.norm.logpdf(y, mu, aux["sigma"])
    if name == "student":
        return stats.t.logpdf(y, aux["nu"], mu, aux["sigma"])
    if name == "lognormal":
        return stats.lognorm.logpdf(y, aux["sigma"], scale=np.exp(mu))
    if name == "bernoulli":
        return stats.bernoulli.logpmf(y, mu)
    if name == "binomial":
        return stats.binom.logpmf(y, trials, mu)
    if name == "poisson":
        return stats.poisson.logpmf(y, mu)
    if name == "negbinomial":
        return stats.nbinom.logpmf(y, aux["shape"], aux["shape"] / (aux["shape"] + mu))
    if name == "geometric":
        # SciPy's geometric counts trials to the first success, from 1
        return stats.geom.logpmf(y + 1, 1 / (1 + mu))
    if name == "gamma":
        return stats.gamma.logpdf(y, aux["shape"], scale=mu / aux["shape"])
    return stats.beta.logpdf(y, mu * aux["phi"], (1 - mu) * aux["phi"])


def _family_inputs(name):
    family = get_family(name)
    eta = np.array([[0.3, -0.4, 1.1], [0.1, 0.2, -0.5]])
    if name == "gamma":
        eta = np.abs(eta)
    trials = np.array([10, 10, 12]) if family.needs_trials else None
    aux = {a.name: np.array([[AUX[a.name]], [1.5 * AUX[a.name]]]) for a in family.aux}
    return family, eta, aux, trials


@pytest.mark.parametrize("name", sorted(RESPONSES))
@pytest.mark.parametrize("block_values", [None, 2], ids=["one_block", "a_row_per_block"])
def test_log_density_equals_brms_density(name, block_values, monkeypatch):
    if block_values is not None:
        monkeypatch.setattr(blocks, "BLOCK_VALUES", block_values)
    family, eta, aux, trials = _family_inputs(name)
    y = np.array(RESPONSES[name])
    mu = family.link_function.inverse_numpy(eta)
    expected = _scipy_log_density(name, y, mu, aux, trials)
    np.testing.assert_allclose(family.log_density(y, eta, aux, trials), expected, rtol=1e-8)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_random_draws_have_the_family_mean(name):
    family, eta, aux, trials = _family_inputs(name)
    if name == "student":
        aux["nu"] = aux["nu"] * 0 + 30.0  # a finite variance for the standard error below
    copies = 20_000
    eta_rows = np.repeat(eta, copies, axis=0)
    aux_rows = {k: np.repeat(v, copies, axis=0) for k, v in aux.items()}
    draws = family.random(np.random.default_rng(4), eta_rows, aux_rows, trials)
    assert draws.shape == eta_rows.shape and np.all(np.isfinite(draws))
    mu = family.link_function.inverse_numpy(eta)
    expected = family.mean(mu, aux, trials)
    observed = draws.reshape(2, copies, 3).mean(axis=1)
    standard_error = draws.reshape(2, copies, 3).std(axis=1) / np.sqrt(copies)
    assert np.all(np.abs(observed - expected) < 5 * standard_error + 1e-12)
    again = family.random(np.random.default_rng(4), eta_rows, aux_rows, trials)
    np.testing.assert_array_equal(draws, again)


class _Draws:
    """A stand-in fit: hypothesis() needs only as_draws_df() and prior_draws."""

    prior_draws = None

    def __init__(self, frame):
        self.frame = frame

    def as_draws_df(self):
        return self.frame


def test_hypothesis_columns_and_probabilities():
    rng = np.random.default_rng(1)
    fake = _Draws(pd.DataFrame({"b_Intercept": rng.normal(250, 5, 4000),
                                "b_Days": rng.normal(10, 2, 4000),
                                "b_ses:himinty": rng.normal(-1, 1, 4000)}))
    table = hypothesis(fake, ["Days > 8", "Intercept + 2 * Days = 270", "ses:himinty < 0"])
    # brms's labels: without whitespace, a right side of 0 left out
    assert table["Hypothesis"].tolist() == [
        "(Days)-(8) > 0", "(Intercept+2*Days)-(270) = 0", "(ses:himinty) < 0"]
    days = fake.frame["b_Days"]
    assert table.loc[1, "Post.Prob"] == pytest.approx(np.mean(days > 8))
    assert table.loc[1, "CI.Lower"] == pytest.approx(np.quantile(days - 8, 0.05))
    assert table.loc[1, "Evid.Ratio"] == pytest.approx(np.mean(days > 8) / np.mean(days <= 8))
    assert np.isnan(table.loc[2, "Post.Prob"])
    assert table.loc[2, "CI.Lower"] == pytest.approx(
        np.quantile(fake.frame["b_Intercept"] + 2 * days - 270, 0.025))
    assert table["Star"].tolist() == ["", "", ""]
    # a one-sided hypothesis is starred where it is likely, not where its interval excludes 0
    against = hypothesis(fake, ["Days < 0", "Days > 0"])
    assert against["Star"].tolist() == ["", "*"]
    assert against.loc[1, "Post.Prob"] == pytest.approx(np.mean(days < 0))
    # brms's samples: each hypothesis's left side less its right side on every draw; no
    # prior_samples without prior draws
    np.testing.assert_allclose(table.samples["H2"],
                               fake.frame["b_Intercept"] + 2 * days - 270)
    assert list(table.samples) == ["H1", "H2", "H3"] and table.prior_samples is None
    with pytest.raises(ml.MultilevelError, match="unknown name\\(s\\) Dayz.*Valid names"):
        hypothesis(fake, "Dayz > 1")
    with pytest.raises(ml.MultilevelError, match="needs exactly one of"):
        hypothesis(fake, "Days")


LOO_REFERENCE = Path(__file__).resolve().parent / "reference" / "loo"
NUMBER = re.compile(r"-?\d+\.?\d*")


def _loo_reference():
    """The draws of tests/reference/loo and loo 2.5.1's results on them (make_reference.R)."""
    draws = pd.read_csv(LOO_REFERENCE / "draws.csv")
    y = pd.read_csv(LOO_REFERENCE / "data.csv")["y"].to_numpy()
    log_lik = stats.norm.logpdf(y, draws["mu"].to_numpy()[:, None],
                                draws["sigma"].to_numpy()[:, None])
    chains = draws["chain"].nunique()
    return (log_lik.reshape(chains, -1, len(y)), pd.read_csv(LOO_REFERENCE / "loo_pointwise.csv"),
            (LOO_REFERENCE / "loo_print.txt").read_text().strip("\n"))


def test_psis_loo_gives_the_loo_package_results():
    """Both sides use the same draws, so only the ESS estimator differs: ArviZ's splits each
    chain in two, loo's does not, which moves the relative efficiencies by about 1% here and
    through them the Pareto tail's length."""
    log_lik, reference, _ = _loo_reference()
    result = psis_loo(log_lik)
    assert np.allclose(relative_efficiency(log_lik), reference["r_eff"], rtol=0.03)
    assert np.allclose(result.elpd, reference["elpd_loo"], atol=0.02)
    assert np.allclose(result.pareto_k, reference["pareto_k"], atol=0.02)
    assert np.allclose(result.n_eff, reference["n_eff"], rtol=0.03)
    assert np.allclose(result.mcse, reference["mcse_elpd_loo"], rtol=0.03)


def test_loo_expectations_and_quantiles_are_the_loo_packages():
    """loo 2.5.1's E_loo() (brms's loo_predict()) of a quantity of each draw: the same draws,
    only the relative efficiencies differ (see above), by far less than 2% of the
    quantity's sd."""
    log_lik, _, _ = _loo_reference()
    draws = pd.read_csv(LOO_REFERENCE / "draws.csv")
    y = pd.read_csv(LOO_REFERENCE / "data.csv")["y"].to_numpy()
    values = draws["mu"].to_numpy()[:, None] + draws["sigma"].to_numpy()[:, None] * y / 10
    expected = pd.read_csv(LOO_REFERENCE / "loo_expectation.csv")
    mean, _ = loo_expectation(log_lik, values)
    quantiles, _ = loo_expectation(log_lik, values, probs=(0.05, 0.95))
    spread = values.std(axis=0)
    assert np.all(np.abs(mean - expected["mean"]) < 0.02 * spread)
    assert np.all(np.abs(quantiles - expected[["q5", "q95"]].to_numpy()) < 0.02 * spread[:, None])


def test_loo_prints_what_the_loo_package_prints():
    log_lik, _, printed = _loo_reference()
    result = psis_loo(log_lik)
    criterion = _criterion("loo", result.elpd, log_lik.reshape(-1, log_lik.shape[-1]),
                           pareto_k=result.pareto_k, n_eff=result.n_eff,
                           mcse_elpd_loo=result.mcse)
    ours, theirs = repr(criterion).splitlines(), printed.splitlines()
    assert len(ours) == len(theirs)
    for mine, expected in zip(ours, theirs, strict=True):
        # the layout exactly; each number within the ESS estimators' difference
        assert NUMBER.sub("#", mine) == NUMBER.sub("#", expected)
        for a, b in zip(NUMBER.findall(mine), NUMBER.findall(expected), strict=True):
            assert abs(float(a) - float(b)) <= max(0.1, 0.03 * abs(float(b))), (mine, expected)
    assert "Monte Carlo SE of elpd_loo is NA." in ours  # two Pareto k above 0.7


def test_loo_gives_its_monte_carlo_error_when_every_k_is_reliable():
    log_lik, reference, _ = _loo_reference()
    reliable = reference["pareto_k"].to_numpy() <= 0.7
    result = psis_loo(log_lik[..., reliable])
    expected = np.sqrt(np.sum(reference["mcse_elpd_loo"][reliable] ** 2))
    assert elpd_mcse(result.pareto_k, result.mcse) == pytest.approx(expected, rel=0.03)


def test_a_likelihood_without_spread_gives_loos_results():
    """A right-censored row far below its mean has a likelihood of 1 to within 1e-200 in
    every draw: loo 2.5 gives it elpd 0, no error, an infinite Pareto k and all the draws as
    its n_eff, where ArviZ's Pareto fit of a tail without spread is NaN."""
    rng = np.random.default_rng(1)
    log_lik = rng.normal(-1.0, 0.3, size=(4000, 3))
    log_lik[:, 1] = -np.exp(3 * rng.normal(size=4000)) * 1e-200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = psis_loo(log_lik.reshape(4, 1000, 3))
    assert result.elpd[1] == pytest.approx(0.0, abs=1e-150)
    assert result.mcse[1] == pytest.approx(0.0, abs=1e-150)
    assert result.pareto_k[1] == np.inf and result.n_eff[1] == pytest.approx(4000)
    assert np.all(np.isfinite(result.elpd)) and np.all(np.isfinite(result.pareto_k[[0, 2]]))


def test_psis_loo_in_blocks_of_observations_gives_the_same_results(monkeypatch):
    log_lik, _, _ = _loo_reference()
    whole = psis_loo(log_lik)
    # blocks of seven observations: the last one shorter
    monkeypatch.setattr(blocks, "BLOCK_VALUES", 7 * log_lik.shape[0] * log_lik.shape[1])
    in_blocks = psis_loo(log_lik)
    for name in ("elpd", "pareto_k", "n_eff", "mcse"):
        np.testing.assert_array_equal(getattr(in_blocks, name), getattr(whole, name))


def test_log_sum_exp_equals_scipys_where_values_are_large_or_all_minus_infinity():
    values = np.random.default_rng(3).normal(0, 300, size=(50, 6))
    values[:, 2] = -np.inf
    values[:10, 4] = -np.inf
    for axis in (0, 1):
        np.testing.assert_allclose(psis.log_sum_exp(values, axis=axis),
                                   logsumexp(values, axis=axis), rtol=1e-13)
    assert psis.log_mean_exp(np.zeros((8, 3))) == pytest.approx(np.zeros(3))


def test_log_mean_exp_in_blocks_of_observations_equals_scipys(monkeypatch):
    values = np.random.default_rng(5).normal(0, 30, size=(40, 11))
    expected = logsumexp(values, axis=0) - np.log(40)
    # blocks of four observations: the last one shorter
    monkeypatch.setattr(blocks, "BLOCK_VALUES", 4 * 40)
    np.testing.assert_allclose(psis.log_mean_exp(values), expected, rtol=1e-13)


def test_loo_compare_prints_what_the_loo_package_prints():
    log_lik, _, _ = _loo_reference()
    draws = pd.read_csv(LOO_REFERENCE / "draws.csv")
    y = pd.read_csv(LOO_REFERENCE / "data.csv")["y"].to_numpy()
    wide = stats.norm.logpdf(y, draws["mu"].to_numpy()[:, None],
                             2 * draws["sigma"].to_numpy()[:, None]).reshape(log_lik.shape)

    def criterion(values):
        result = psis_loo(values)
        return _criterion("loo", result.elpd, values.reshape(-1, values.shape[-1]),
                          pareto_k=result.pareto_k)

    table = ml.loo_compare(normal=criterion(log_lik), wide=criterion(wide))
    expected = (LOO_REFERENCE / "loo_compare_print.txt").read_text().rstrip("\n").splitlines()
    ours = repr(table).splitlines()
    assert [NUMBER.sub("#", line) for line in ours] == [NUMBER.sub("#", line) for line in expected]
    for mine, theirs in zip(ours, expected, strict=True):
        for a, b in zip(NUMBER.findall(mine), NUMBER.findall(theirs), strict=True):
            assert abs(float(a) - float(b)) <= 0.1, (mine, theirs)
    # the table keeps every column; a selection is a plain data frame
    assert {"elpd_loo", "p_loo", "looic"} <= set(table.columns)
    assert type(table[["elpd_diff", "elpd_loo"]]) is pd.DataFrame


def test_waic_prints_what_the_loo_package_prints():
    log_lik, _, _ = _loo_reference()
    values = log_lik.reshape(-1, log_lik.shape[-1])
    lppd = logsumexp(values, axis=0) - np.log(values.shape[0])
    elpd = lppd - np.var(values, axis=0, ddof=1)
    ours = repr(_criterion("waic", elpd, values)).splitlines()
    expected = (LOO_REFERENCE / "waic_print.txt").read_text().strip("\n").splitlines()
    # R ends its message with the space cat() puts before the newline
    assert ours == [line.rstrip() for line in expected]


@pytest.mark.parametrize(("name", "column"), [
    ("b_x", "prior_b"), ("sd_g__Intercept", "prior_sd_g"), ("b_sigma_x", "prior_b_sigma"),
    ("sd_g__sigma_Intercept", "prior_sd_g__sigma"), ("b_mub_x", "prior_b_mub"),
    ("sigma", "prior_sigma"), ("b_Intercept", None), ("b_sigma_Intercept", None),
    ("b_mub_Intercept", None), ("b_Intercept[1]", None)])
def test_each_parameter_reads_its_own_class_prior_draws(name, column):
    """A predicted parameter's coefficients have prior draws of their own (brms's
    prior_b_sigma): the Savage-Dickey ratio of b_sigma_x must not take the mean's prior_b.
    An overall intercept has none, as in brms: prior_Intercept draws the intercept of
    centred predictors."""
    columns = ["prior_Intercept", "prior_b", "prior_sd_g", "prior_Intercept_sigma",
               "prior_b_sigma", "prior_sd_g__sigma", "prior_Intercept_mub", "prior_b_mub",
               "prior_sigma"]
    priors = pd.DataFrame({c: np.zeros(2) for c in columns})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _prior_column(name, priors) == column
    assert bool(caught) == (column is None)
