"""Zero-inflated and hurdle families, and a predicted sigma with group terms, against brms
references made with tests/reference/families (brms 2.18)."""

import json

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from scipy import stats

import multilevel as ml
from multilevel.errors import DataError, FormulaError
from quick_mode import QUICK
from reference import (
    FAMILY_REFERENCE_DIR,
    family_reference_names,
    fit_with_warnings,
    load_reference,
    mixing_problems,
    posterior_mismatches,
    prior_mismatches,
    reference_formula,
)

MODELS = family_reference_names("zero_hurdle")

# brms 2.18 (the references) gave negative binomial shapes gamma(0.01, 0.01); current brms,
# which multilevel follows, gives inv_gamma(0.4, 0.3).
BRMS_218_SHAPE = [ml.prior("gamma(0.01, 0.01)", class_="shape")]


# A sd of log sigma near zero leaves a funnel where brms, too, met a divergent transition (one
# in 4000 draws; we have seen up to eight).
RARE_DIVERGENCES = {"sleep_sigma_group": 10, "sleep_sigma_id": 10}
# That funnel's sds also need brms's full number of draws; the others do with half.
FULL_DRAWS = {"sleep_sigma_group", "sleep_sigma_id"}


def reference_model(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / reference["data"])
    formula = reference_formula(reference)
    family = ml.get_family(reference["family"], reference["link"])
    priors = BRMS_218_SHAPE if "negbinomial" in reference["family"] else None
    return reference, data, formula, family, priors


def test_the_references_cover_every_new_family():
    families = {load_reference(name, FAMILY_REFERENCE_DIR)["family"] for name in MODELS}
    assert families >= {"zero_inflated_poisson", "zero_inflated_negbinomial",
                        "zero_inflated_binomial", "hurdle_poisson", "hurdle_negbinomial",
                        "hurdle_lognormal", "hurdle_gamma", "zero_inflated_beta",
                        "zero_one_inflated_beta", "gaussian"}
    for name in MODELS:
        reference = json.loads((FAMILY_REFERENCE_DIR / f"{name}.json").read_text())
        assert reference["divergences"] <= (1 if name in RARE_DIVERGENCES else 0)
        # (brms's hurdle_gamma intercept mixed slowly: R-hat 1.013 at a bulk ESS of 539,
        # which the comparisons' tolerances take in)
        assert reference["max_rhat"] < 1.02


@pytest.mark.parametrize("name", MODELS)
def test_default_priors_equal_brms(name):
    reference, data, formula, family, priors = reference_model(name)
    table = ml.get_prior(formula, data, family, prior=priors)
    assert prior_mismatches(table, reference["prior"]) == []


def test_current_brms_shape_prior_of_zero_inflated_and_hurdle_negbinomial():
    _, data, formula, _, _ = reference_model("hurdle_negbinomial")
    for family in ("hurdle_negbinomial", "zero_inflated_negbinomial"):
        table = ml.get_prior(formula, data, family)
        assert table.loc[table["class"] == "shape", "prior"].tolist() == ["inv_gamma(0.4, 0.3)"]


@pytest.fixture(scope="module")
def fits():
    results = {}
    for name in MODELS:
        reference, data, formula, family, priors = reference_model(name)
        # the comparisons' tolerances follow both fits' ESS
        draws = 1000 if name in FULL_DRAWS else 500
        fit, messages = fit_with_warnings(formula, data, family, prior=priors, seed=20261202,
                                          draws=draws, warmup=draws, progressbar=False)
        results[name] = (reference, fit, messages)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_posterior_equals_brms(fits, name):
    reference, fit, messages = fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []
    # (with half brms's draws, ESS warnings speak of the draws' number, not of the model)
    assert mixing_problems(fit, reference["summary"]) == []
    assert int(fit.idata.sample_stats["diverging"].sum()) <= RARE_DIVERGENCES.get(name, 0)


TRUTH = json.loads((FAMILY_REFERENCE_DIR / "data" / "truth.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name in sorted(TRUTH) if name in MODELS])
def test_simulated_parameters_are_recovered(fits, name):
    """Each zero-inflated and hurdle dataset was simulated with a correlated intercept and
    slope by g (simulate.py); every true value lies within four posterior sds."""
    _, fit, _ = fits[name]
    summary = fit.posterior_summary()
    far = {parameter: (value, summary.loc[parameter, "Estimate"],
                       summary.loc[parameter, "Est.Error"])
           for parameter, value in TRUTH[name].items()
           if abs(summary.loc[parameter, "Estimate"] - value)
           > 4 * summary.loc[parameter, "Est.Error"]}
    assert far == {}


@pytest.mark.slow
def test_summary_names_the_zero_parameters(fits):
    _, fit, _ = fits["hurdle_poisson"]
    text = str(fit.summary())
    assert "  Links: mu = log; hu = logit " in text.splitlines()
    assert "hu_x" in fit.summary().fixed.index
    _, fit, _ = fits["zero_inflated_negbinomial"]
    assert fit.summary().spec.index.tolist() == ["shape", "zi"]


@pytest.mark.slow
def test_expected_values_match_the_mean_of_predictive_draws(fits):
    for name in ("zero_inflated_negbinomial", "zero_inflated_binomial", "hurdle_poisson",
                 "hurdle_negbinomial", "hurdle_lognormal", "hurdle_gamma",
                 "zero_inflated_beta", "zero_one_inflated_beta"):
        _, fit, _ = fits[name]
        expected = fit.posterior_epred(ndraws=400, seed=3)
        draws = fit.posterior_predict(ndraws=400, seed=3)
        # averaged over draws and rows, the two agree up to the predictive noise
        error = draws.std() / np.sqrt(draws.size)
        assert abs(expected.mean() - draws.mean()) < 5 * error, name


@pytest.mark.slow
def test_group_terms_of_sigma_are_named_as_brms(fits):
    _, fit, _ = fits["sleep_sigma_group"]
    summary = fit.posterior_summary()
    assert "sd_Subject__sigma_Intercept" in summary.index
    assert "r_Subject__sigma[308,Intercept]" in summary.index
    assert fit.varcorr()["Subject"]["sd"].index.tolist() == ["Intercept", "Days",
                                                             "sigma_Intercept"]
    assert "sd(sigma_Intercept)" in fit.summary().random["Subject"].index
    # brms's coef(): every population-level effect, sigma's too, plus the level's effect
    coef = fit.coef()["Subject"]
    assert list(dict.fromkeys(coef.columns.get_level_values("coef"))) == [
        "Intercept", "Days", "sigma_Intercept", "sigma_Days"]
    fixef, ranef = fit.fixef(), fit.ranef()["Subject"]
    np.testing.assert_allclose(
        coef[("sigma_Intercept", "Estimate")],
        fixef.loc["sigma_Intercept", "Estimate"] + ranef[("sigma_Intercept", "Estimate")])
    assert (coef[("sigma_Days", "Estimate")] == fixef.loc["sigma_Days", "Estimate"]).all()


@pytest.mark.slow
def test_an_id_correlates_group_effects_across_parameters(fits):
    """(Days | p | Subject) and sigma's (1 | p | Subject): one correlation matrix over
    Intercept, Days and sigma_Intercept, as brms's cor_Subject__Days__sigma_Intercept."""
    _, fit, _ = fits["sleep_sigma_id"]
    assert fit.summary().random["Subject"].index.tolist() == [
        "sd(Intercept)", "sd(Days)", "sd(sigma_Intercept)", "cor(Intercept,Days)",
        "cor(Intercept,sigma_Intercept)", "cor(Days,sigma_Intercept)"]
    # a new subject's mean and log sigma are drawn jointly, from the fitted correlations
    newdata = pd.DataFrame({"Days": [0, 9], "Subject": "new"})
    draws = fit.posterior_epred(newdata=newdata, allow_new_levels=True,
                                sample_new_levels="gaussian", seed=1)
    assert draws.shape == (4000, 2) and np.isfinite(draws).all()


def test_id_syntax_errors_name_the_terms():
    data = ml.load_dataset("sleepstudy").assign(Block=lambda d: d["Days"] // 5)
    with pytest.raises(FormulaError, match="share the ID 'p' but not their grouping factor"):
        ml.get_prior("Reaction ~ Days + (1 | p | Subject) + (1 | p | Block)", data)
    with pytest.raises(FormulaError, match="ID syntax is \\(terms \\| ID \\| group\\)"):
        ml.get_prior("Reaction ~ Days + (1 || p | Subject)", data)


def _density(family, y, eta, **aux):
    values = {name: np.full((1, 1), value) for name, value in aux.items()}
    return family.log_density(np.asarray(y), np.full((1, len(y)), eta), values,
                              np.full(len(y), 10) if family.needs_trials else None)[0]


def test_zero_inflated_and_hurdle_densities_are_brms_definitions():
    y = np.array([0, 1, 4])
    mu, zi, hu, shape = 2.0, 0.3, 0.4, 1.5
    poisson = stats.poisson(mu)
    assert np.allclose(np.exp(_density(ml.zero_inflated_poisson, y, np.log(mu), zi=zi)),
                       np.where(y == 0, zi, 0) + (1 - zi) * poisson.pmf(y))
    assert np.allclose(np.exp(_density(ml.hurdle_poisson, y, np.log(mu), hu=hu)),
                       np.where(y == 0, hu, (1 - hu) * poisson.pmf(y) / poisson.sf(0)))
    negbinomial = stats.nbinom(shape, shape / (shape + mu))
    assert np.allclose(
        np.exp(_density(ml.zero_inflated_negbinomial, y, np.log(mu), zi=zi, shape=shape)),
        np.where(y == 0, zi, 0) + (1 - zi) * negbinomial.pmf(y))
    assert np.allclose(
        np.exp(_density(ml.hurdle_negbinomial, y, np.log(mu), hu=hu, shape=shape)),
        np.where(y == 0, hu, (1 - hu) * negbinomial.pmf(y) / negbinomial.sf(0)))
    binomial = stats.binom(10, 0.25)
    assert np.allclose(np.exp(_density(ml.zero_inflated_binomial, y, np.log(1 / 3), zi=zi)),
                       np.where(y == 0, zi, 0) + (1 - zi) * binomial.pmf(y))
    positive = np.array([0.0, 0.5, 3.0])
    lognormal = stats.lognorm(s=0.8, scale=np.exp(0.2))
    assert np.allclose(np.exp(_density(ml.hurdle_lognormal, positive, 0.2, hu=hu, sigma=0.8)),
                       np.where(positive == 0, hu, (1 - hu) * lognormal.pdf(positive)))
    # brms's gamma of mean mu: shape alpha and rate alpha / mu
    gamma = stats.gamma(shape, scale=mu / shape)
    assert np.allclose(np.exp(_density(ml.hurdle_gamma, positive, np.log(mu), hu=hu,
                                       shape=shape)),
                       np.where(positive == 0, hu, (1 - hu) * gamma.pdf(positive)))
    # brms's beta of mean mu and precision phi; its zeros come from zi alone
    proportions, phi = np.array([0.0, 0.02, 0.5, 0.97]), 6.0
    beta = stats.beta(0.3 * phi, 0.7 * phi)
    assert np.allclose(np.exp(_density(ml.zero_inflated_beta, proportions,
                                       np.log(0.3 / 0.7), zi=zi, phi=phi)),
                       np.where(proportions == 0, zi, (1 - zi) * beta.pdf(proportions)))
    # the zero-one-inflated beta's ends: 0 with zoi (1 - coi), 1 with zoi coi
    proportions, zoi, coi = np.array([0.0, 0.02, 0.5, 0.97, 1.0]), 0.3, 0.6
    assert np.allclose(np.exp(_density(ml.zero_one_inflated_beta, proportions,
                                       np.log(0.3 / 0.7), zoi=zoi, coi=coi, phi=phi)),
                       np.select([proportions == 0, proportions == 1],
                                 [zoi * (1 - coi), zoi * coi],
                                 (1 - zoi) * beta.pdf(np.clip(proportions, 0.01, 0.99))))


@pytest.mark.parametrize("family, ends", [("zero_inflated_beta", {"zi": 0.2}),
                                          ("zero_one_inflated_beta", {"zoi": 0.2, "coi": 0.6})])
def test_an_inflated_betas_gradient_is_finite_at_its_ends(family, ends):
    """JAX and PyTensor differentiate both branches of the end/inside switch: the beta's
    density, infinite at 0 and 1, is taken elsewhere where the response is at an end."""
    import pytensor
    import pytensor.tensor as pt

    mu, phi = pt.dscalars("mu", "phi")
    probabilities = {name: pt.dscalar(name) for name in ends}
    y = np.array([0.0, 0.4, 0.0, 0.9] + ([1.0] if "coi" in ends else []))
    distribution = ml.get_family(family).distribution(pt.log(mu / (1 - mu)),
                                                      {"phi": phi, **probabilities})
    total = pm.logp(distribution, y).sum()
    inputs = [mu, phi, *probabilities.values()]
    gradient = pytensor.function(inputs, pt.grad(total, inputs), mode=QUICK)(0.4, 0.7,
                                                                          *ends.values())
    assert np.all(np.isfinite(gradient))


def test_family_means_are_the_expected_values():
    rng = np.random.default_rng(4)
    eta = np.full((1, 200_000), np.log(2.0))
    for family, aux in [(ml.zero_inflated_poisson, {"zi": 0.3}),
                        (ml.hurdle_poisson, {"hu": 0.4}),
                        (ml.zero_inflated_negbinomial, {"zi": 0.3, "shape": 1.5}),
                        (ml.hurdle_negbinomial, {"hu": 0.4, "shape": 1.5}),
                        (ml.hurdle_lognormal, {"hu": 0.4, "sigma": 0.5}),
                        (ml.hurdle_gamma, {"hu": 0.4, "shape": 1.5})]:
        values = {name: np.full((1, 1), value) for name, value in aux.items()}
        draws = family.random(rng, eta, values)
        mean = family.mean(family.link_function.inverse_numpy(eta[:, :1]), values, None)
        assert abs(draws.mean() - mean.item()) < 5 * draws.std() / np.sqrt(draws.size), family
    eta = np.full((1, 200_000), np.log(0.3 / 0.7))
    values = {"zi": np.full((1, 1), 0.3), "phi": np.full((1, 1), 6.0)}
    draws = ml.zero_inflated_beta.random(rng, eta, values)
    assert np.all((draws >= 0) & (draws < 1))
    assert abs(np.mean(draws == 0) - 0.3) < 5 * np.sqrt(0.3 * 0.7 / draws.size)
    mean = ml.zero_inflated_beta.mean(np.full((1, 1), 0.3), values, None).item()
    assert abs(draws.mean() - mean) < 5 * draws.std() / np.sqrt(draws.size)
    values = {"zoi": np.full((1, 1), 0.3), "coi": np.full((1, 1), 0.6),
              "phi": np.full((1, 1), 6.0)}
    draws = ml.zero_one_inflated_beta.random(rng, eta, values)
    for end, share in ((0.0, 0.3 * 0.4), (1.0, 0.3 * 0.6)):
        assert abs(np.mean(draws == end) - share) < 5 * np.sqrt(share * (1 - share) / draws.size)
    mean = ml.zero_one_inflated_beta.mean(np.full((1, 1), 0.3), values, None).item()
    assert abs(draws.mean() - mean) < 5 * draws.std() / np.sqrt(draws.size)
    # the zero-inflated beta-binomial: its draws' mean, and its zeros' share, brms's
    # zi + (1 - zi) P(beta-binomial = 0)
    trials = np.full(200_000, 6)
    values = {"zi": np.full((1, 1), 0.3), "phi": np.full((1, 1), 4.0)}
    draws = ml.zero_inflated_beta_binomial.random(rng, eta, values, trials)
    mean = ml.zero_inflated_beta_binomial.mean(np.full((1, 1), 0.3), values, trials[:1]).item()
    assert abs(draws.mean() - mean) < 5 * draws.std() / np.sqrt(draws.size)
    zeros = 0.3 + 0.7 * stats.betabinom(6, 0.3 * 4.0, 0.7 * 4.0).pmf(0)
    assert abs(np.mean(draws == 0) - zeros) < 5 * np.sqrt(zeros * (1 - zeros) / draws.size)
    density = ml.zero_inflated_beta_binomial.log_density(
        np.array([0, 2, 6]), eta[:, :3], {"zi": np.full((1, 3), 0.3),
                                          "phi": np.full((1, 3), 4.0)}, trials=trials[:3])[0]
    body = stats.betabinom(6, 0.3 * 4.0, 0.7 * 4.0).pmf(np.array([0, 2, 6]))
    np.testing.assert_allclose(np.exp(density), np.where([True, False, False], zeros, 0.7 * body),
                               rtol=1e-8)


@pytest.mark.parametrize(("family", "values", "rule"), [
    ("zero_inflated_poisson", [0, 1.5, 2, 1], "non-negative integer counts"),
    ("hurdle_negbinomial", [0, -1, 2, 1], "non-negative integer counts"),
    ("hurdle_lognormal", [0.0, -1.0, 2.0, 3.0], "non-negative values"),
    ("hurdle_gamma", [0.0, -1.0, 2.0, 3.0], "non-negative values"),
    ("zero_inflated_beta", [0.0, 0.5, 1.0, 0.2], "values from 0 up to but excluding 1"),
    ("zero_one_inflated_beta", [0.0, 0.5, 1.2, 0.2], "values from 0 to 1"),
])
def test_bad_responses_name_column_and_rule(family, values, rule):
    data = pd.DataFrame({"resp": values, "x": [0.1, 0.2, 0.3, 0.4]})
    with pytest.raises(DataError, match=f"'resp'.*{rule}|{rule}.*'resp'"):
        ml.get_prior("resp ~ x", data, family)


@pytest.mark.parametrize("family, aux", [
    ("hurdle_poisson", {}),
    ("hurdle_negbinomial", {"shape": 1.5}),
])
def test_a_hurdles_positive_counts_follow_the_truncated_distribution(family, aux):
    """The positive part is drawn by redrawing zeros, and by the inverse distribution function
    where a zero keeps coming (a mean of 0.05): either way each count's frequency is its
    probability given that it is positive, within five binomial sds."""
    rng = np.random.default_rng(8)
    draws, rows = 4000, 40
    means = np.where(np.arange(rows) % 2 == 0, 0.05, 3.0)
    values = {"hu": np.zeros((draws, 1))} | {k: np.full((draws, 1), v) for k, v in aux.items()}
    drawn = ml.get_family(family).random(rng, np.broadcast_to(np.log(means), (draws, rows)),
                                         values)
    for mean in (0.05, 3.0):
        counts = drawn[:, means == mean].ravel()
        whole = (stats.poisson(mean) if family == "hurdle_poisson"
                 else stats.nbinom(aux["shape"], aux["shape"] / (aux["shape"] + mean)))
        assert counts.min() >= 1
        for k in range(1, 6):
            expected = whole.pmf(k) / whole.sf(0)
            tolerance = 5 * np.sqrt(expected * (1 - expected) / counts.size)
            assert abs(np.mean(counts == k) - expected) < tolerance, (family, mean, k)
