"""Mixtures of families, ``ml.mixture()``, against brms 2.18: default prior tables
(tests/reference/mixture/priors.json, made by make_priors.R), posteriors, fitted values and
summaries (tests/reference/families, run_all.sh), and the mixture's density, mean and draws
against SciPy."""

import json

import arviz as az
import numpy as np
import pandas as pd
import pytensor
import pytest
from scipy import stats
from scipy.special import logsumexp

import multilevel as ml
from multilevel.api import _design
from multilevel.errors import DataError, FamilyError
from multilevel.families.mixture import predicting_proportions
from multilevel.priors.sampling import draw_priors
from multilevel.priors.table import build_prior_table
from quick_mode import QUICK
from reference import (
    FAMILY_REFERENCE_DIR,
    brms_efficiency,
    family_reference_names,
    fit_with_warnings,
    fitted_mismatches,
    load_reference,
    posterior_mismatches,
    prior_mismatches,
    reference_data,
    reference_family,
    reference_formula,
    reference_newdata,
    reference_prior_table,
)

MIXTURE_MODELS = family_reference_names("mixture")
PRIOR_CASES = json.loads((FAMILY_REFERENCE_DIR.parent / "mixture" / "priors.json").read_text())


def _prior_case_inputs(case):
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / f"{case['data']}.csv")
    # a formula predicts its parameter, a number holds it
    dpars = {name: value if value.startswith("~") else float(value)
             for name, value in (case.get("dpars") or {}).items()}
    formula = ml.bf(case["formula"], **dpars) if dpars else case["formula"]
    family = reference_family({"family": "mixture", "family_r": case["family"]})
    return formula, data, family


# brms 2.18 (the references) gave negbinomial's shape gamma(0.01, 0.01); current brms, which
# multilevel follows, gives inv_gamma(0.4, 0.3)
BRMS_218_PRIORS = {"counts": [ml.prior("gamma(0.01, 0.01)", class_="shape2")]}


@pytest.mark.parametrize("case", PRIOR_CASES, ids=[case["id"] for case in PRIOR_CASES])
def test_default_priors_equal_brms(case):
    formula, data, family = _prior_case_inputs(case)
    table = ml.get_prior(formula, data, family, prior=BRMS_218_PRIORS.get(case["id"]))
    assert prior_mismatches(table, case["prior"]) == []
    # brms orders the intercepts of a mixture of one family only
    assert family.ordered_intercepts == (case["order"] == "mu")


@pytest.mark.parametrize("name", MIXTURE_MODELS)
def test_default_priors_of_the_references_equal_brms(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    table = reference_prior_table(reference)
    assert prior_mismatches(table, reference["prior"]) == []


def _normal_mixture_inputs(rng, draws=5, rows=7):
    eta = np.zeros((draws, rows))
    theta1 = rng.uniform(0.2, 0.8, size=(draws, 1))
    aux = {"mu1": rng.normal(0, 1, (draws, rows)), "sigma1": rng.uniform(0.5, 2, (draws, 1)),
           "mu2": rng.normal(3, 1, (draws, rows)), "sigma2": rng.uniform(0.5, 2, (draws, 1)),
           "theta1": theta1, "theta2": 1 - theta1}
    return eta, aux


def test_density_is_the_components_weighted_by_their_proportions():
    rng = np.random.default_rng(1)
    family = ml.mixture("gaussian", "gaussian")
    eta, aux = _normal_mixture_inputs(rng)
    y = rng.normal(1.5, 2, size=eta.shape[1])
    expected = logsumexp(np.stack([
        np.log(aux["theta1"]) + stats.norm.logpdf(y, aux["mu1"], aux["sigma1"]),
        np.log(aux["theta2"]) + stats.norm.logpdf(y, aux["mu2"], aux["sigma2"])]), axis=0)
    np.testing.assert_allclose(family.log_density(y, eta, aux), expected, rtol=1e-10)


def test_each_component_applies_its_own_link():
    """A Poisson component's mean is the exponential of its linear predictor ``mu1``."""
    rng = np.random.default_rng(2)
    family = ml.mixture("poisson", ml.negbinomial)
    eta = np.zeros((4, 6))
    theta1 = rng.uniform(0.2, 0.8, size=(4, 1))
    aux = {"mu1": rng.normal(1, 0.5, eta.shape), "mu2": rng.normal(2.5, 0.5, eta.shape),
           "shape2": rng.uniform(1, 5, (4, 1)), "theta1": theta1, "theta2": 1 - theta1}
    y = rng.poisson(5, size=6)
    mean2 = np.exp(aux["mu2"])
    expected = np.logaddexp(
        np.log(theta1) + stats.poisson.logpmf(y, np.exp(aux["mu1"])),
        np.log(1 - theta1) + stats.nbinom.logpmf(y, aux["shape2"],
                                                 aux["shape2"] / (aux["shape2"] + mean2)))
    np.testing.assert_allclose(family.log_density(y, eta, aux), expected, rtol=1e-9)
    np.testing.assert_allclose(family.expected_value(eta, aux),
                               theta1 * np.exp(aux["mu1"]) + (1 - theta1) * mean2, rtol=1e-12)


def test_draws_come_from_each_component_by_its_proportion():
    family = ml.mixture("gaussian", "gaussian")
    draws = 20000
    eta = np.zeros((draws, 2))
    aux = {"mu1": np.full((draws, 2), -10.0), "sigma1": np.ones((draws, 1)),
           "mu2": np.full((draws, 2), 10.0), "sigma2": np.full((draws, 1), 2.0),
           "theta1": np.full((draws, 1), 0.3), "theta2": np.full((draws, 1), 0.7)}
    values = family.random(np.random.default_rng(3), eta, aux)
    first = values < 0
    share = first.mean()
    # a binomial proportion's sd, four times over
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / values.size)
    assert abs(values[first].std() - 1.0) < 0.05
    assert abs(values[~first].std() - 2.0) < 0.1
    np.testing.assert_allclose(family.expected_value(eta, aux), 0.3 * -10 + 0.7 * 10)


@pytest.mark.parametrize("families, kwargs, message", [
    (("gaussian",), {}, "at least 2 families"),
    (("gaussian", "poisson"), {}, "real and integer support"),
    (("cumulative", "cumulative"), {}, "ordinal and categorical mixtures"),
    (("gaussian", "gaussian"), {"order": "sideways"}, "order must be one of 'mu', 'none'"),
    (("gaussian", "binomial"), {}, "real and integer support"),
    (("poisson", "binomial"), {}, "with and without trials"),
])
def test_impossible_mixtures_are_refused_by_name(families, kwargs, message):
    with pytest.raises(FamilyError, match=message):
        ml.mixture(*families, **kwargs)


def test_order_follows_brms():
    assert ml.mixture("gaussian", "gaussian").ordered_intercepts
    assert not ml.mixture("gaussian", "student").ordered_intercepts
    assert not ml.mixture("gaussian", "gaussian", order="none").ordered_intercepts
    assert ml.mixture("gaussian", "student", order=True).ordered_intercepts
    assert ml.mixture("poisson", "poisson").label == "mixture(poisson, poisson)"


def test_a_mixture_by_name_points_to_mixture():
    with pytest.raises(FamilyError, match=r"ml\.mixture\('gaussian', 'gaussian'\)"):
        ml.get_family("mixture")


def test_predicted_proportions_are_a_softmax_beside_zero():
    """brms's ``theta2 ~ z``: the first component's log odds are 0, the second's its linear
    predictor; the first proportion is then no parameter of the family."""
    rng = np.random.default_rng(4)
    family = predicting_proportions(ml.mixture("gaussian", "gaussian"), ("theta2",))
    assert [a.name for a in family.aux] == ["mu1", "sigma1", "mu2", "sigma2", "theta2"]
    eta, aux = _normal_mixture_inputs(rng)
    del aux["theta1"]
    aux["theta2"] = rng.normal(0, 1, eta.shape)
    second = 1 / (1 + np.exp(-aux["theta2"]))
    y = rng.normal(1.5, 2, size=eta.shape[1])
    expected = np.logaddexp(
        np.log1p(-second) + stats.norm.logpdf(y, aux["mu1"], aux["sigma1"]),
        np.log(second) + stats.norm.logpdf(y, aux["mu2"], aux["sigma2"]))
    np.testing.assert_allclose(family.log_density(y, eta, aux), expected, rtol=1e-10)
    np.testing.assert_allclose(family.expected_value(eta, aux),
                               (1 - second) * aux["mu1"] + second * aux["mu2"], rtol=1e-12)


def test_bad_responses_are_refused():
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv")
    with pytest.raises(DataError, match="response 'y'"):
        ml.get_prior("y ~ x", data, ml.mixture("poisson", "poisson"))


def test_proportions_are_held_all_or_none_and_scaled_to_add_up_to_one():
    """brms's bf(y ~ x, theta1 = 1, theta2 = 2): held proportions 1/3 and 2/3."""
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv")
    family = ml.mixture("gaussian", "gaussian")
    for held in ({"theta1": 0.3}, {"theta1": 0.0, "theta2": 0.6}):
        with pytest.raises(FamilyError, match="all mixing proportions .* or none"):
            ml.get_prior(ml.bf("y ~ x", **held), data, family)
    model = ml.make_model(ml.bf("y ~ x", theta1=1.0, theta2=2.0), data, family)
    assert "theta" not in model.named_vars
    assert float(model["theta1"].eval()) == pytest.approx(1 / 3)


@pytest.mark.slow
def test_held_proportions_stay_out_of_the_draws_as_brms():
    """brms 2.18 prints the scaled values in the formula and keeps no theta draws."""
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv")
    fit = ml.brm(ml.bf("y ~ x", theta1=1.0, theta2=2.0), data,
                 ml.mixture("gaussian", "gaussian"), seed=4, draws=150, warmup=150,
                 progressbar=False)
    assert "theta1" not in fit.draws.as_frame().columns
    assert fit.summary().spec.index.tolist() == ["sigma1", "sigma2"]
    draws = fit.draws.as_frame()
    x = fit.design.data["x"].to_numpy()
    means = [draws[f"b_mu{k}_Intercept"].to_numpy()[:, None]
             + draws[f"b_mu{k}_x"].to_numpy()[:, None] * x for k in (1, 2)]
    np.testing.assert_allclose(fit.posterior_epred(), means[0] / 3 + 2 * means[1] / 3,
                               rtol=1e-9)


def test_the_model_orders_the_intercepts_only_where_asked():
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv")
    ordered = ml.make_model("y ~ x", data, ml.mixture("gaussian", "gaussian"))
    free = ml.make_model("y ~ x", data, ml.mixture("gaussian", "gaussian", order="none"))
    assert "ordered_Intercept_unconstrained" in ordered.named_vars
    assert "ordered_Intercept_unconstrained" not in free.named_vars
    assert {"theta", "Intercept_mu1", "Intercept_mu2"} <= set(free.named_vars)
    # the chains start each component's intercept among the responses it may explain
    intercepts, = ordered.replace_rvs_by_values([ordered["ordered_Intercept"]])
    values = pytensor.function(ordered.value_vars, intercepts, on_unused_input="ignore",
                               mode=QUICK)(
        **ordered.initial_point())
    np.testing.assert_allclose(values, np.quantile(data["y"], [0.25, 0.75]))


def test_the_equation_weights_each_components_distribution():
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture_poisson.csv")
    text = str(ml.equation("count ~ x", data, ml.mixture("poisson", "poisson"), priors=True))
    assert (r"\theta_{1}\,\mathrm{Poisson}(\mu_{1,i}) + \theta_{2}\,\mathrm{Poisson}(\mu_{2,i})"
            in text)
    assert r"\log(\mu_{1,i}) &= \alpha^{\mu_{1}}" in text
    assert r"\theta &\sim \mathrm{Dirichlet}(1)" in text
    assert r"\alpha^{\mu_{1}} &< \alpha^{\mu_{2}}" in text


@pytest.fixture(scope="module")
def mixture_fits():
    fits = {}
    for name in MIXTURE_MODELS:
        reference = load_reference(name, FAMILY_REFERENCE_DIR)
        fits[name] = (reference, *fit_with_warnings(
            reference_formula(reference), reference_data(reference), reference_family(reference),
            seed=20261207, draws=500, warmup=500, progressbar=False))
    return fits


@pytest.mark.slow
@pytest.mark.parametrize("name", MIXTURE_MODELS)
def test_posterior_equals_brms(mixture_fits, name):
    reference, fit, messages = mixture_fits[name]
    # a chain left in another mode has an ESS so small that its means pass: converge first
    assert float(az.rhat(fit.idata).to_array().max()) < 1.05, messages
    assert posterior_mismatches(fit, reference["summary"]) == []
    assert int(fit.idata.sample_stats["diverging"].sum()) == 0, messages


@pytest.mark.slow
@pytest.mark.parametrize("name", MIXTURE_MODELS)
def test_fitted_values_of_new_rows_equal_brms(mixture_fits, name):
    reference, fit, _ = mixture_fits[name]
    newdata = reference_newdata(reference)
    draws = fit.posterior_epred(newdata=newdata)
    assert fitted_mismatches(draws.reshape(4, -1, len(newdata)), reference["fitted"],
                             brms_efficiency(fit, reference["summary"])) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", MIXTURE_MODELS)
def test_summary_prints_as_brms(mixture_fits, name):
    """The header, the rows of each table in brms's order (the components' parameters, then
    the proportions), and the intercepts ordered in every draw."""
    reference, fit, _ = mixture_fits[name]
    summary = fit.summary()
    ours, brms = str(summary).splitlines(), reference["summary_text"]
    assert [line.rstrip() for line in ours[:3]] == [line.rstrip() for line in brms[:3]]
    brms_rows = [line.split()[0] for line in brms if line.startswith(("mu", "sigma", "theta"))]
    assert list(summary.fixed.index) + list(summary.spec.index) == brms_rows
    draws = fit.draws.as_frame()
    assert (draws["Intercept_mu1"] < draws["Intercept_mu2"]).all()


@pytest.mark.slow
def test_a_saved_mixture_loads_with_its_components(mixture_fits, tmp_path):
    _, fit, _ = mixture_fits["mixture_poisson"]
    fit.save(tmp_path / "fit")
    loaded = ml.load(tmp_path / "fit")
    assert loaded.family.label == "mixture(poisson, poisson)"
    assert loaded.family.ordered_intercepts
    assert str(loaded.summary()) == str(fit.summary())
    np.testing.assert_allclose(loaded.log_lik(), fit.log_lik())


@pytest.mark.slow
def test_linear_predictors_and_means_are_the_components(mixture_fits):
    """brms's ``posterior_linpred()`` of a mixture: each component's linear predictor (draws x
    rows x components); its ``posterior_epred()``: their means weighted by the proportions."""
    _, fit, _ = mixture_fits["mixture_poisson"]
    linpred = fit.posterior_linpred()
    draws = fit.draws.as_frame()
    x = fit.design.data["x"].to_numpy()
    assert linpred.shape == (len(draws), fit.nobs, 2)
    for k in (1, 2):
        np.testing.assert_allclose(
            linpred[:, :, k - 1], draws[f"b_mu{k}_Intercept"].to_numpy()[:, None]
            + draws[f"b_mu{k}_x"].to_numpy()[:, None] * x, rtol=1e-9)
    theta = draws[["theta1", "theta2"]].to_numpy()
    np.testing.assert_allclose(fit.posterior_epred(),
                               theta[:, :1] * np.exp(linpred[:, :, 0])
                               + theta[:, 1:] * np.exp(linpred[:, :, 1]), rtol=1e-9)


def test_each_mixture_compiles_its_own_density():
    """The compiled densities are kept per family: two mixtures with the same parameter
    names but other components must not share one."""
    rng = np.random.default_rng(6)
    eta, aux = _normal_mixture_inputs(rng, rows=4)
    y = np.array([0.5, 1.0, 2.0, 4.0])
    ml.mixture("gaussian", "gaussian").log_density(y, eta, aux)
    lognormal = ml.mixture("lognormal", "lognormal").log_density(y, eta, aux)
    expected = np.logaddexp(
        np.log(aux["theta1"]) + stats.lognorm.logpdf(y, aux["sigma1"], scale=np.exp(aux["mu1"])),
        np.log(aux["theta2"]) + stats.lognorm.logpdf(y, aux["sigma2"], scale=np.exp(aux["mu2"])))
    np.testing.assert_allclose(lognormal, expected, rtol=1e-10)


def test_proportions_take_a_dirichlet_prior_and_draw_from_it():
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv")
    family = ml.mixture("gaussian", "gaussian")
    prior = [ml.prior("dirichlet(2)", class_="theta"), ml.prior("normal(0, 5)", class_="b",
                                                                 dpar="mu1"),
             ml.prior("normal(0, 5)", class_="b", dpar="mu2")]
    model = ml.make_model("y ~ x", data, family, prior=prior)
    np.testing.assert_array_equal(model["con_theta"].get_value(), [2.0, 2.0])
    with pytest.raises(ml.PriorError, match="takes dirichlet"):
        ml.get_prior("y ~ x", data, family, prior=ml.prior("normal(0, 1)", class_="theta"))
    design = _design("y ~ x", data, family)
    draws = draw_priors(design, build_prior_table(design, prior), 4000, seed=1)
    assert {"prior_theta[1]", "prior_theta[2]"} <= set(draws.columns)
    # dirichlet(2, 2): each proportion beta(2, 2), of sd sqrt(1/20)
    assert abs(draws["prior_theta[1]"].mean() - 0.5) < 4 * np.sqrt(0.05 / 4000)
    np.testing.assert_allclose(draws["prior_theta[1]"] + draws["prior_theta[2]"], 1.0)


@pytest.mark.parametrize("formula, family, message", [
    ("y ~ 0 + x", ml.mixture("gaussian", "gaussian"), "requires population-level intercepts"),
    ("y ~ s(x)", ml.mixture("gaussian", "gaussian"), r"s\(x\) is not supported"),
    ("y ~ s(x)", "categorical", r"s\(x\) is not supported"),
])
def test_terms_a_mixture_cannot_take_are_refused_by_name(formula, family, message):
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv")
    if family == "categorical":
        data = data.assign(y=np.where(data["y"] > 2, "high", "low"))
    with pytest.raises(ml.FormulaError, match=message):
        ml.get_prior(formula, data, family)
    # unordered components need no intercepts
    table = ml.get_prior("y ~ 0 + x", pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv"),
                         ml.mixture("gaussian", "gaussian", order="none"))
    assert "Intercept" not in table["class"].tolist()
    assert table.loc[table["class"] == "b", "dpar"].unique().tolist() == ["mu1", "mu2"]


@pytest.mark.slow
def test_predicted_sigmas_and_binomial_mixtures_fit_and_plot():
    """A predicted component sigma is no variable to start; a binomial mixture's
    conditional effects are probabilities of success per trial."""
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv")
    fit = ml.brm(ml.bf("y ~ x", sigma2="~ x"), data, ml.mixture("gaussian", "gaussian"),
                 seed=3, draws=200, warmup=200, progressbar=False)
    assert "b_sigma2_x" in fit.draws.as_frame().columns
    with pytest.raises(ml.MultilevelError, match="one per category or component"):
        fit.loo_linpred()
    counts = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "binomial.csv")
    binomial = ml.brm("k | trials(n) ~ x", counts, ml.mixture("binomial", "binomial"), seed=3,
                      draws=200, warmup=200, progressbar=False)
    figure = binomial.conditional_effects("x")
    line = figure.axes[0].get_lines()[0].get_ydata()
    assert np.all((line > 0) & (line < 1))


def test_held_values_print_to_two_decimals_as_brms():
    # brms 2.18 prints brm(bf(y ~ x, theta1 = 1, theta2 = 2), ...)$formula with the scaled
    # proportions "theta1 = 0.33", "theta2 = 0.67", and bf(y ~ x, quantile = 0.123456789)
    # with "quantile = 0.12"
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv")
    design = _design(ml.bf("y ~ x", theta1=1, theta2=2), data, ml.mixture("gaussian", "gaussian"))
    assert design.user_spec.lines == ["y ~ x", "theta1 = 0.33", "theta2 = 0.67"]
    assert dict(design.fixed_aux) == pytest.approx({"theta1": 1 / 3, "theta2": 2 / 3})
    assert str(ml.bf("y ~ x", quantile=0.123456789)).splitlines()[1] == "quantile = 0.12"


def test_prior_draws_of_proportions_follow_a_vector_of_concentrations():
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "mixture.csv")
    design = _design("y ~ x", data, ml.mixture("gaussian", "gaussian"))
    table = build_prior_table(design, [ml.prior("dirichlet(c(2, 1))", class_="theta")])
    draws = draw_priors(design, table, 4000, 1)
    # Dirichlet(2, 1): means 2/3 and 1/3, each with sd sqrt(2 / 36)
    error = np.sqrt(2 / 36) / np.sqrt(4000)
    assert np.allclose(draws[["prior_theta[1]", "prior_theta[2]"]].mean(), [2 / 3, 1 / 3],
                       atol=5 * error)


@pytest.mark.slow
@pytest.mark.parametrize("name", MIXTURE_MODELS)
def test_component_memberships_equal_brms(mixture_fits, name):
    """brms's pp_mixture(): each component's probability of having produced a row, of the
    eight rows brms found least certain, within both fits' Monte Carlo error; per draw the
    probabilities add up to one, in brms's layout."""
    reference, fit, _ = mixture_fits[name]
    draws = fit.pp_mixture(summary=False)
    components = len(fit.family.components)
    assert draws.shape == (fit.idata.posterior.sizes["chain"] * fit.idata.posterior.sizes["draw"],
                           fit.nobs, components)
    np.testing.assert_allclose(draws.sum(axis=2), 1.0)
    efficiency = brms_efficiency(fit, reference["summary"])
    for k in range(components):
        label = f"P(K = {k + 1} | Y)"
        records = [r for r in reference["pp_mixture"] if r["category"] == label]
        assert len(records) == 8
        assert fitted_mismatches(draws[:, :, k].reshape(4, -1, fit.nobs), records,
                                 efficiency) == []
    table = fit.pp_mixture()
    assert list(table.columns.levels[0]) == [f"P(K = {k} | Y)" for k in
                                             range(1, components + 1)]
    np.testing.assert_allclose(table[("P(K = 1 | Y)", "Estimate")], draws[:, :, 0].mean(axis=0))
    np.testing.assert_allclose(fit.pp_mixture(log=True, summary=False), np.log(draws),
                               rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_memberships_are_the_weighted_component_densities(mixture_fits):
    """The gaussian mixture's memberships from SciPy's normal densities of the components."""
    _, fit, _ = mixture_fits["mixture_regression"]
    draws = fit.draws.as_frame()
    means = fit.posterior_linpred()
    y = fit.design.data["y"].to_numpy()
    weighted = np.stack([draws[f"theta{k}"].to_numpy()[:, None] * stats.norm.pdf(
        y, means[:, :, k - 1], draws[f"sigma{k}"].to_numpy()[:, None]) for k in (1, 2)],
        axis=2)
    np.testing.assert_allclose(fit.pp_mixture(summary=False),
                               weighted / weighted.sum(axis=2, keepdims=True),
                               rtol=1e-8, atol=1e-12)
