"""Generalised families against brms references made with tests/reference/families."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import gamma as gamma_function

import multilevel as ml
from multilevel.errors import DataError
from multilevel.families.links import LINKS
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
    reference_formula,
    reference_newdata,
    user_priors,
)

# zero-inflated, hurdle, distributional and ordinal references have their own modules
FAMILY_MODELS = family_reference_names("families")

# brms 2.18 (the references) gave negbinomial's shape gamma(0.01, 0.01); current brms, which
# multilevel follows, gives inv_gamma(0.4, 0.3).
BRMS_218_PRIORS = {"negbinomial": [ml.prior("gamma(0.01, 0.01)", class_="shape")]}


def reference_priors(name):
    """The priors a reference was fitted with that are not current brms's defaults."""
    return BRMS_218_PRIORS.get(name) or user_priors(name)


def family_reference(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    return reference, reference_data(reference), ml.get_family(reference["family"],
                                                               reference["link"])


@pytest.mark.parametrize("name", FAMILY_MODELS)
def test_default_priors_equal_brms(name):
    reference, data, family = family_reference(name)
    table = ml.get_prior(reference_formula(reference), data, family, prior=reference_priors(name))
    assert prior_mismatches(table, reference["prior"]) == []


def test_current_brms_negbinomial_shape_prior():
    _, data, family = family_reference("negbinomial")
    table = ml.get_prior("count ~ x + (1 | g)", data, family)
    assert table.loc[table["class"] == "shape", "prior"].tolist() == ["inv_gamma(0.4, 0.3)"]


def test_rats_prior_with_cbind_equals_trials():
    rats = ml.load_dataset("rats")
    reference = load_reference("rats")
    table = ml.get_prior("cbind(m, n - m) ~ 1 + (1 | batch)", rats, "binomial")
    assert prior_mismatches(table, reference["prior"]) == []


@pytest.fixture(scope="module")
def family_fits():
    fits = {}
    for name in FAMILY_MODELS + ["rats"]:
        if name == "rats":
            reference = load_reference("rats")
            data, family = ml.load_dataset("rats"), ml.get_family("binomial")
        else:
            reference, data, family = family_reference(name)
        # half brms's draws: the comparisons' tolerances follow both fits' ESS
        fit, messages = fit_with_warnings(reference_formula(reference), data, family,
                                          prior=reference_priors(name), seed=20261123,
                                          draws=500, warmup=500, progressbar=False)
        fits[name] = (reference, fit, messages)
    return fits


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILY_MODELS + ["rats"])
def test_posterior_equals_brms(family_fits, name):
    reference, fit, _ = family_fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name in FAMILY_MODELS
                                  if load_reference(name, FAMILY_REFERENCE_DIR).get("fitted")])
def test_fitted_values_of_new_rows_equal_brms(family_fits, name):
    reference, fit, _ = family_fits[name]
    newdata = reference_newdata(reference)
    draws = fit.posterior_epred(newdata=newdata)
    assert fitted_mismatches(draws.reshape(4, -1, len(newdata)), reference["fitted"],
                             brms_efficiency(fit, reference["summary"])) == []


RARE_DIVERGENCE = pytest.mark.xfail(
    reason="about one divergent transition in 4000 on this weakly identified group sd",
    strict=False)


# references where brms, too, met divergent transitions: the posterior comparisons hold them
DIVERGENT_REFERENCES = {"gamma_inverse": "an inverse link's mean near zero (brms: 423 of 4000)",
                        "sleep_exgaussian": "a small exponential part's funnel (brms: 5)",
                        "kidney_weibull": "38 patients' sd, weakly identified (brms: 3)",
                        "horseshoe": "the horseshoe's funnel of global and local scales "
                                     "(brms: 8)",
                        "sleep_constant": "the slopes' sd with the slope held (brms: 1)",
                        "r2d2": "the R2D2 prior's funnel of R2 and its shares (brms: 1)"}


# a known difference from brms: with the slope's posterior pressed against its upper bound,
# our chains meet a few divergent transitions in 2000 draws (brms met none in 4000); the
# posterior agrees (test_posterior_equals_brms)
AT_A_BOUND = pytest.mark.xfail(reason="a few divergent transitions against a bound",
                               strict=False)
_DIVERGENCE_MARKS = {"poisson_offset": RARE_DIVERGENCE, "kidney_lognormal": RARE_DIVERGENCE,
                     "sleep_bounded": AT_A_BOUND}


@pytest.mark.slow
@pytest.mark.parametrize("name", [
    pytest.param(n, marks=_DIVERGENCE_MARKS[n]) if n in _DIVERGENCE_MARKS else n
    for n in FAMILY_MODELS + ["rats"] if n not in DIVERGENT_REFERENCES
])
def test_no_divergences(family_fits, name):
    _, fit, messages = family_fits[name]
    assert int(fit.idata.sample_stats["diverging"].sum()) == 0, messages


@pytest.mark.slow
def test_summary_names_links_and_family_parameters(family_fits):
    _, fit, _ = family_fits["negbinomial"]
    text = str(fit.summary())
    assert "  Links: mu = log; shape = identity " in text.splitlines()
    assert "Further Distributional Parameters:" in text
    assert any(line.startswith("shape ") for line in text.splitlines())
    _, probit, _ = family_fits["bernoulli_probit"]
    assert " Family: bernoulli " in str(probit.summary())
    assert "  Links: mu = probit " in str(probit.summary()).splitlines()
    assert "Further Distributional Parameters:" not in str(probit.summary())
    for name, parameter in [("student", "nu"), ("beta", "phi"), ("gamma_log", "shape")]:
        assert parameter in family_fits[name][1].posterior_summary().index


@pytest.mark.slow
def test_a_monotonic_effect_predicts_from_its_simplex(family_fits):
    """brms's mo(income): at position x the effect is bsp * D * sum(simo[1:x]), so new rows
    at each income, held at the mean of x and without group effects, are the intercept plus
    that share of the whole effect (brms's fitted() gave 29.07, 58.91 and 73.06 at 1, 2, 4)."""
    _, fit, _ = family_fits["monotonic"]
    assert fit.summary().fixed.index.tolist() == ["Intercept", "x", "moincome"]
    assert fit.summary().simplexes.index.tolist() == [f"moincome1[{k}]" for k in (1, 2, 3)]
    new = pd.DataFrame({"income": [1, 2, 3, 4], "x": 0.0, "g": "g01"})
    expected = fit.posterior_epred(newdata=new, re_formula="~0")
    draws = fit.draws.as_frame()
    shares = draws[[f"simo_moincome1[{k}]" for k in (1, 2, 3)]].to_numpy()
    reached = np.column_stack([np.zeros(len(draws)), np.cumsum(shares, axis=1)])
    np.testing.assert_allclose(
        expected, draws["b_Intercept"].to_numpy()[:, None]
        + 3 * draws["bsp_moincome"].to_numpy()[:, None] * reached, rtol=1e-10)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["meta_se", "meta_se_sigma"])
def test_known_standard_errors_print_and_predict_as_brms(family_fits, name):
    """``y | se(sei)``: the summary's sigma row is brms's (the constant 0, its R-hat and ESS
    NA, without sigma = TRUE), and each row's log-likelihood and predictions have the sd
    sqrt(sigma^2 + sei^2)."""
    reference, fit, _ = family_fits[name]
    ours = [line for line in str(fit.summary()).splitlines() if line.startswith("sigma ")]
    brms = [line for line in reference["summary_text"] if line.startswith("sigma ")]
    if name == "meta_se":
        assert ours == brms == [
            "sigma     0.00      0.00     0.00     0.00   NA       NA       NA"]
    else:
        assert len(ours) == len(brms) == 1 and "NA" not in ours[0]
    data = fit.design.data
    sigma = fit.idata.posterior["sigma"].values.reshape(-1, 1)
    scale = np.sqrt(sigma**2 + data["sei"].to_numpy() ** 2)
    mean = fit.posterior_epred()
    expected = stats.norm.logpdf(data["yi"].to_numpy(), mean, scale)
    np.testing.assert_allclose(fit.log_lik(), expected, rtol=1e-9)
    # new rows bring their own standard errors: ten times larger, ten times the spread
    rows = data.iloc[:2].assign(sei=[0.1, 1.0])
    spread = (fit.posterior_predict(newdata=rows, seed=3)
              - fit.posterior_epred(newdata=rows)).std(axis=0)
    np.testing.assert_allclose(spread, np.sqrt(np.mean(sigma**2) + np.array([0.01, 1.0])),
                               rtol=0.1)
    with pytest.raises(ml.MultilevelError, match=r"'sei' used in se\(\)"):
        fit.posterior_predict(newdata=rows.drop(columns="sei"))


@pytest.mark.slow
def test_censored_rows_have_brms_likelihood(family_fits):
    """``y | cens(censored, y2)``: each row's log-likelihood is the normal log density,
    log CDF, log survival function or log probability of (y, y2], by its censoring."""
    _, fit, _ = family_fits["censored_gaussian"]
    data = fit.design.data
    mean = fit.posterior_epred()
    sigma = fit.idata.posterior["sigma"].values.reshape(-1, 1)
    normal = stats.norm(mean, sigma)
    y, y2 = data["y"].to_numpy(), data["y2"].to_numpy()
    # an interval's probability from the tail it lies in, where the difference keeps its digits
    within = np.where(y > mean, normal.sf(y) - normal.sf(y2), normal.cdf(y2) - normal.cdf(y))
    expected = {"none": normal.logpdf(y), "left": normal.logcdf(y), "right": normal.logsf(y),
                "interval": np.log(within)}
    log_lik = fit.log_lik()
    for kind, values in expected.items():
        rows = (data["censored"] == kind).to_numpy()
        assert rows.any()
        # PyMC's normal log CDF and its complement (which the fit's come from) are accurate to
        # about 1e-8 relative where SciPy's are to 1e-16 (both against mpmath), and to about
        # 1e-7 where they are near zero
        np.testing.assert_allclose(log_lik[:, rows], values[:, rows], rtol=1e-6)
    # predictions are of the uncensored response, as brms's
    assert (fit.posterior_predict(seed=1) > 14).any()


@pytest.mark.parametrize("name", ["weibull", "exponential", "lognormal", "gaussian"])
def test_right_censored_rows_keep_their_tail(name):
    """log P(Y > y) in closed form far into the right tail, where one less the CDF is 0; and
    the other kinds of rows as SciPy gives them."""
    family = ml.get_family(name)
    y = np.array([0.5, 3.0, 40.0, 400.0, 2.0, 1.0, 2.0])
    codes = np.array([0, 1, 1, 1, -1, 2, 2])
    upper = np.array([np.nan, np.nan, np.nan, np.nan, np.nan, 1.5, 30.0])
    eta = np.full((1, y.size), 0.4)
    aux = {"shape": np.full((1, y.size), 1.7), "sigma": np.full((1, y.size), 0.8)}
    aux = {a.name: aux[a.name] for a in family.aux}
    density = family.log_density(y, eta, aux, censoring=(codes, upper))[0]
    if name == "weibull":
        truth = stats.weibull_min(1.7, scale=np.exp(0.4) / gamma_function(1 + 1 / 1.7))
    elif name == "exponential":
        truth = stats.expon(scale=np.exp(0.4))
    elif name == "lognormal":
        truth = stats.lognorm(0.8, scale=np.exp(0.4))
    else:
        truth = stats.norm(0.4, 0.8)
    expected = np.concatenate([truth.logpdf(y[:1]), truth.logsf(y[1:4]), truth.logcdf(y[4:5]),
                               np.log(truth.cdf(upper[5:]) - truth.cdf(y[5:]))])
    assert np.all(np.isfinite(density))
    np.testing.assert_allclose(density, expected, rtol=1e-6)


def _brms_density(name, mu, aux):
    """brms's parametrisations of its continuous families, as SciPy distributions."""
    if name == "exgaussian":
        return stats.exponnorm(aux["beta"] / aux["sigma"], loc=mu - aux["beta"],
                               scale=aux["sigma"])
    if name == "skew_normal":
        delta = aux["alpha"] / np.sqrt(1 + aux["alpha"] ** 2)
        omega = aux["sigma"] / np.sqrt(1 - 2 / np.pi * delta**2)
        return stats.skewnorm(aux["alpha"], loc=mu - omega * delta * np.sqrt(2 / np.pi),
                              scale=omega)
    if name == "weibull":
        return stats.weibull_min(aux["shape"], scale=mu / gamma_function(1 + 1 / aux["shape"]))
    if name == "frechet":
        # Stan's frechet(nu, mu / tgamma(1 - 1 / nu)), scipy's inverse Weibull
        return stats.invweibull(aux["nu"], scale=mu / gamma_function(1 - 1 / aux["nu"]))
    return stats.expon(scale=mu)


@pytest.mark.parametrize(("name", "aux"), [
    ("exgaussian", {"sigma": 20.0, "beta": 15.0}), ("exgaussian", {"sigma": 30.0, "beta": 0.5}),
    ("skew_normal", {"sigma": 25.0, "alpha": -3.0}), ("weibull", {"shape": 1.7}),
    ("frechet", {"nu": 5.0}), ("exponential", {}),
])
def test_continuous_densities_and_means_are_brms_parametrisations(name, aux):
    """Far into both tails too; each family's mean is mu, as brms's posterior_epred."""
    family = ml.get_family(name)
    mu = 250.0
    y = np.array([1.0, 100.0, 240.0, 260.0, 400.0, 1500.0])
    if name == "exgaussian" or name == "skew_normal":
        y = np.concatenate([y, [-300.0]])
    eta = np.full((1, y.size), mu if family.link == "identity" else np.log(mu))
    arrays = {key: np.full((1, y.size), value) for key, value in aux.items()}
    density = family.log_density(y, eta, arrays)[0]
    truth = _brms_density(name, mu, aux)
    # scipy's frechet density underflows far into its left tail, where the log density is
    # still a (very negative) number
    expected = truth.logpdf(y)
    finite = np.isfinite(expected)
    np.testing.assert_allclose(density[finite], expected[finite], rtol=1e-8)
    assert np.all(np.isfinite(density)) and np.all(density[~finite] < -1e3)
    assert truth.mean() == pytest.approx(mu)
    draws = family.random(np.random.default_rng(1), np.full((1, 40000), eta[0, 0]),
                          {key: np.full((1, 40000), value) for key, value in aux.items()})
    assert np.mean(draws) == pytest.approx(mu, rel=0.02)


def _asym_laplace_stan(y, mu, sigma, quantile):
    """brms's asym_laplace_lpdf (its Stan function, fun_asym_laplace.stan)."""
    scaled = (y - mu) / sigma
    rho = np.where(scaled < 0, scaled * (quantile - 1), scaled * quantile)
    return np.log(quantile * (1 - quantile)) - np.log(sigma) - rho


@pytest.mark.parametrize("quantile", [0.1, 0.5, 0.8])
def test_the_asymmetric_laplaces_mu_is_its_quantile_as_brms(quantile):
    family = ml.get_family("asym_laplace")
    mu, sigma = 2.0, 0.7
    y = np.array([-40.0, -3.0, 1.0, 2.0, 2.5, 6.0, 60.0])
    aux = {"sigma": np.full((1, y.size), sigma), "quantile": np.full((1, y.size), quantile)}
    density = family.log_density(y, np.full((1, y.size), mu), aux)[0]
    np.testing.assert_allclose(density, _asym_laplace_stan(y, mu, sigma, quantile), rtol=1e-10)
    size = 200_000
    draws = family.random(np.random.default_rng(3), np.full((1, size), mu),
                          {"sigma": np.full((1, size), sigma),
                           "quantile": np.full((1, size), quantile)})[0]
    # mu is the quantile-th quantile; the mean is brms's posterior_epred, whose draws' mean
    # lies within four of its Monte Carlo standard errors
    assert np.mean(draws < mu) == pytest.approx(quantile, abs=4 * np.sqrt(
        quantile * (1 - quantile) / size))
    mean = family.expected_value(np.array([[mu]]), {"sigma": np.array([[sigma]]),
                                                    "quantile": np.array([[quantile]])})
    assert abs(np.mean(draws) - mean.item()) < 4 * np.std(draws) / np.sqrt(size)


def test_beta_binomial_and_inverse_gaussian_densities_are_brms_parametrisations():
    k, n = np.array([0, 3, 7, 10]), np.array([10, 10, 12, 10])
    mu, phi = 0.3, 4.0
    density = ml.beta_binomial.log_density(k, np.full((1, 4), np.log(mu / (1 - mu))),
                                           {"phi": np.full((1, 4), phi)}, trials=n)[0]
    np.testing.assert_allclose(density, stats.betabinom(n, mu * phi, (1 - mu) * phi).logpmf(k),
                               rtol=1e-8)
    y = np.array([0.05, 0.5, 1.5, 4.0, 20.0])
    mean, shape = 1.5, 3.0
    family = ml.get_family("inverse.gaussian", "log")
    density = family.log_density(y, np.full((1, 5), np.log(mean)),
                                 {"shape": np.full((1, 5), shape)})[0]
    # brms's inv_gaussian(mu, shape): SciPy's invgauss(mu / shape, scale = shape)
    np.testing.assert_allclose(density, stats.invgauss(mean / shape, scale=shape).logpdf(y),
                               rtol=1e-8)


def test_the_shifted_lognormal_is_a_lognormal_after_its_non_decision_time():
    """brms's shifted_lognormal: ndt plus a lognormal; no density at or below ndt, and its
    ndt is bounded by the smallest response (brms's min_Y), whatever the prior says."""
    family, mu, sigma, ndt = ml.shifted_lognormal, 5.0, 0.4, 150.0
    y = np.array([100.0, 150.0, 151.0, 200.0, 300.0, 2000.0])
    arrays = {"sigma": np.full((1, y.size), sigma), "ndt": np.full((1, y.size), ndt)}
    density = family.log_density(y, np.full((1, y.size), mu), arrays)[0]
    truth = stats.lognorm(s=sigma, scale=np.exp(mu), loc=ndt)
    assert np.all(density[:2] == -np.inf)
    np.testing.assert_allclose(density[2:], truth.logpdf(y[2:]), rtol=1e-10)
    mean = family.mean(np.full((1, 1), mu), {"sigma": sigma, "ndt": ndt}, None).item()
    assert mean == pytest.approx(truth.mean())
    draws = family.random(np.random.default_rng(1), np.full((1, 40000), mu),
                          {key: np.full((1, 40000), v[0, 0]) for key, v in arrays.items()})
    assert abs(draws.mean() - mean) < 5 * draws.std() / np.sqrt(draws.size)
    data = ml.load_dataset("sleepstudy")
    table = ml.get_prior("Reaction ~ Days", data, family,
                         prior=ml.prior("normal(100, 50)", class_="ndt"))
    row = table[table["class"] == "ndt"].iloc[0]
    assert (row["prior"], row["lb"], row["ub"]) == ("normal(100, 50)", "0", "min_Y")
    model = ml.make_model("Reaction ~ Days", data, family)
    # a uniform prior up to the smallest reaction time
    node = model["ndt"].owner
    lower, upper = node.op.dist_params(node)
    assert (lower.eval(), upper.eval()) == (0.0, pytest.approx(data["Reaction"].min()))


def test_family_objects_and_links():
    assert ml.bernoulli(link="probit").link == "probit"
    assert ml.get_family("Gamma").link == "log"
    assert ml.get_family("gamma", "inverse").link == "inverse"
    with pytest.raises(ValueError, match="Link 'log' is not available for family 'bernoulli'"):
        ml.bernoulli(link="log")
    with pytest.raises(ValueError, match="Unknown family 'gausian'"):
        ml.get_family("gausian")


def test_the_inverse_gaussians_link_is_brms_default_and_scales_its_intercept_prior():
    family = ml.get_family("inverse.gaussian")
    assert (family.link, family.name) == ("1/mu^2", "inverse.gaussian")
    eta = np.array([0.25, 1.0, 4.0])
    link = LINKS["1/mu^2"]
    np.testing.assert_allclose(link.forward(link.inverse_numpy(eta)), eta)
    np.testing.assert_allclose(link.inverse_tensor(eta).eval(), link.inverse_numpy(eta))
    data = reference_data(load_reference("inverse_gaussian", FAMILY_REFERENCE_DIR))
    table = ml.get_prior("y ~ x + (1 | g)", data, family)
    # brms's intercept prior on the link's scale, located at the median of 1 / y^2
    location = round(float(np.median(1.0 / data["y"] ** 2)), 1)
    assert location > 0
    intercept = table.loc[table["class"] == "Intercept", "prior"].item()
    assert intercept == f"student_t(3, {location:g}, 2.5)"


BAD_RESPONSES = [
    ("bernoulli", [0, 1, 2, 1], "0/1 values, booleans or a factor with two levels"),
    ("bernoulli", ["a", "b", "c", "a"], "3 level(s)"),
    ("poisson", [0, 1.5, 2, 1], "non-negative integer counts"),
    ("poisson", [0, -1, 2, 1], "non-negative integer counts"),
    ("negbinomial", [0, 1, -2, 1], "non-negative integer counts"),
    ("gamma", [1.0, 0.0, 2.0, 3.0], "positive values"),
    ("lognormal", [1.0, -1.0, 2.0, 3.0], "positive values"),
    ("beta", [0.2, 1.0, 0.5, 0.3], "strictly between 0 and 1"),
    ("beta", [0.2, 0.0, 0.5, 0.3], "strictly between 0 and 1"),
    ("inverse.gaussian", [1.0, 0.0, 2.0, 3.0], "positive values"),
    ("student", ["a", "b", "c", "d"], "must be numeric"),
]


@pytest.mark.parametrize(("family", "values", "rule"), BAD_RESPONSES)
def test_bad_responses_name_column_and_rule(family, values, rule):
    data = pd.DataFrame({"resp": values, "x": [0.1, 0.2, 0.3, 0.4]})
    with pytest.raises(DataError) as error:
        ml.get_prior("resp ~ x", data, family)
    assert "'resp'" in str(error.value) and rule in str(error.value)


@pytest.mark.parametrize("family", ["binomial", "beta_binomial"])
def test_binomial_successes_within_trials(family):
    data = pd.DataFrame({"k": [1, 5, 3], "n": [4, 4, 4], "x": [0.0, 1, 2]})
    with pytest.raises(DataError, match="between 0 and the trials, but response 'k'"):
        ml.get_prior("k | trials(n) ~ x", data, family)
    with pytest.raises(DataError, match=f"Family '{family}' needs the number of trials"):
        ml.get_prior("k ~ x", data, family)
    with pytest.raises(DataError, match="failures must be non-negative"):
        ml.get_prior("cbind(k, n - k) ~ x", data, "binomial")


def test_two_level_factor_response_names_the_success():
    data = pd.DataFrame({"outcome": ["no", "yes", "yes", "no"], "x": [0.0, 1, 2, 3]})
    with pytest.warns(UserWarning, match="'yes' is the success"):
        table = ml.get_prior("outcome ~ x", data, "bernoulli")
    assert "student_t(3, 0, 2.5)" in table["prior"].tolist()
    booleans = pd.DataFrame({"won": [True, False, True, False], "x": [0.0, 1, 2, 3]})
    ml.get_prior("won ~ x", booleans, "bernoulli")


def test_family_references_record_their_settings():
    for name in FAMILY_MODELS:
        reference = json.loads((FAMILY_REFERENCE_DIR / f"{name}.json").read_text())
        assert (reference["divergences"] > 0) == (name in DIVERGENT_REFERENCES), name
        assert reference["max_rhat"] < 1.01
        assert np.isfinite(reference["seconds_total"])


def test_elementwise_operations_without_numpy_functions_are_rewritten_to_equal_values():
    import pytensor
    import pytensor.tensor as pt
    from pytensor.compile.mode import Mode
    from pytensor.tensor.elemwise import Elemwise

    from multilevel.families.builtin import family_names
    from multilevel.families.derived import _whole_array_operations, derived_functions

    x = pt.vector("x")
    matrix = pt.matrix("matrix")
    graph = (pt.log1mexp(-pt.abs(x)).sum() + pt.clip(x, -0.5, 0.5).sum()
             + pt.second(matrix, x).sum() + pt.softplus(x).sum())
    # both sides of each of softplus's branch points
    x_values = np.array([-800.0, -37.5, -36.5, -3.0, -1e-3, 0.0, 17.5, 18.5, 33.0, 34.0, 800.0])
    values = {"x": x_values, "matrix": np.ones((3, x_values.size))}
    before, after = (pytensor.function([x, matrix], g, mode=Mode(linker="py", optimizer=None))
                     for g in (graph, _whole_array_operations(graph)))
    assert after(**values) == pytest.approx(before(**values), rel=1e-12)
    # the families' log densities and draws, evaluated over draws x rows, have none left
    # that PyTensor's Python implementation evaluates element by element: each family with
    # its default link, and each other link with the first family that offers it
    cases, links = [], set()
    for name in family_names():
        family = ml.get_family(name)
        if family.categorical:
            family = family.for_categories(["a", "b", "c"])
        cases += [(name, family)] + [(name, family(link)) for link in family.links
                                     if link not in links and link != family.link]
        links |= set(family.links)
    for name, family in cases:
        derived = derived_functions(family)
        for function in (derived.log_density, derived.random):
            if function is None:
                continue
            element_by_element = {
                type(node.op.scalar_op).__name__ for node in function.maker.fgraph.apply_nodes
                if isinstance(node.op, Elemwise)
                and not getattr(node.op.scalar_op, "nfunc_spec", None)}
            assert not element_by_element, (name, family.link, element_by_element)


def test_new_observations_are_drawn_without_compiling_inner_graphs():
    """A mixture's or a custom distribution's draws are one operation holding a graph, which
    would compile that graph in PyTensor's default mode (C code) when first evaluated, and
    PyTensor's categorical draws search row by row: the families' random functions hold the
    inner operations and compare whole arrays instead, and still draw from the distribution."""
    from pytensor.compile.builders import OpFromGraph
    from pytensor.tensor.random.basic import CategoricalRV
    from scipy.special import expit

    from multilevel.families.derived import derived_functions

    rng = np.random.default_rng(3)
    for name in ("zero_inflated_poisson", "zero_inflated_binomial", "cumulative",
                 "categorical"):
        family = ml.get_family(name)
        if family.categorical:
            family = family.for_categories(["a", "b", "c"])
        graph = derived_functions(family).random.maker.fgraph
        assert not [node for node in graph.apply_nodes
                    if isinstance(node.op, OpFromGraph | CategoricalRV)], name
        eta = np.zeros((4, 5))
        aux = {a.name: np.full((4, 1), 0.2) for a in family.aux}
        if family.ordinal:
            aux["thresholds"] = np.tile([-1.0, 0.0, 1.0], (4, 1))
        drawn = family.random(rng, eta, aux, np.full(5, 10))
        assert drawn.shape == (4, 5) and np.isfinite(drawn).all(), name
    # the categories' frequencies are the model's probabilities, within five binomial sds
    thresholds = np.array([-1.0, 0.0, 1.5])
    draws, rows = 2000, 100
    drawn = ml.get_family("cumulative").random(
        rng, np.full((draws, rows), 0.3), {"thresholds": np.tile(thresholds, (draws, 1))})
    expected = np.diff(np.concatenate([[0.0], expit(thresholds - 0.3), [1.0]]))
    frequencies = np.array([np.mean(drawn == k) for k in range(1, 5)])
    tolerance = 5 * np.sqrt(expected * (1 - expected) / drawn.size)
    assert np.all(np.abs(frequencies - expected) < tolerance), (frequencies, expected)
    # zero-inflated: zeros from the inflation and from the Poisson
    zeros = ml.get_family("zero_inflated_poisson").random(
        rng, np.full((draws, rows), np.log(2.0)), {"zi": np.full((draws, 1), 0.3)}) == 0
    expected_zeros = 0.3 + 0.7 * np.exp(-2.0)
    assert abs(zeros.mean() - expected_zeros) < 5 * np.sqrt(
        expected_zeros * (1 - expected_zeros) / zeros.size)


def test_post_processing_functions_are_safe_to_call_from_many_threads():
    """Fits on a thread pool compute log densities and draws at once: each thread has its
    own compiled functions, whose storage another thread's call would overwrite."""
    from concurrent.futures import ThreadPoolExecutor

    import pytensor

    family = ml.get_family("negbinomial")
    rng = np.random.default_rng(5)
    cases = [(rng.poisson(4.0, 300), rng.normal(1.0, 0.3, (50, 300)),
              {"shape": rng.gamma(2.0, 1.0, (50, 300))}) for _ in range(16)]
    serial = [family.log_density(y, eta, aux) for y, eta, aux in cases]
    flags = (pytensor.config.cxx, pytensor.config.optdb__max_use_ratio)
    with ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(lambda case: family.log_density(*case), cases))
    for expected, got in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(got, expected)
    # PyTensor sets process-wide flags for a moment while building graphs: threads building
    # at once left them changed (no C compiler for the rest of the process)
    assert (pytensor.config.cxx, pytensor.config.optdb__max_use_ratio) == flags


def test_von_mises_density_link_and_draws_are_brms():
    """brms's von_mises: the density of angles on (-pi, pi], the mean direction
    2 atan(eta) (its tan_half link) as posterior_epred, draws of that circular mean."""
    family = ml.get_family("von_mises")
    eta, kappa = 0.8, 3.0
    mu = 2 * np.arctan(eta)
    y = np.array([-np.pi, -2.0, 0.0, mu, 2.5, np.pi])
    density = family.log_density(y, np.full((1, y.size), eta),
                                 {"kappa": np.full((1, y.size), kappa)})[0]
    np.testing.assert_allclose(density, stats.vonmises.logpdf(y, kappa, loc=mu), rtol=1e-10)
    assert family.expected_value(np.array([[eta]]), {"kappa": np.array([[kappa]])}).item() \
        == pytest.approx(mu)
    size = 100_000
    draws = family.random(np.random.default_rng(5), np.full((1, size), eta),
                          {"kappa": np.full((1, size), kappa)})[0]
    assert np.all(np.abs(draws) <= np.pi)
    circular_mean = np.angle(np.mean(np.exp(1j * draws)))
    assert circular_mean == pytest.approx(mu, abs=4 * np.std(draws) / np.sqrt(size))
    with pytest.raises(DataError, match="angles from -pi to pi"):
        ml.get_prior("y ~ 1", pd.DataFrame({"y": [0.5, 4.0]}), "von_mises")


def test_a_density_without_c_code_is_not_fused():
    """The von Mises density's derivative holds a Bessel function PyTensor has no C code
    for; the one-pass likelihood of nutpie and PyMC's NUTS steps aside for it."""
    from multilevel.model.fused_likelihood import row_density
    assert row_density(ml.get_family("von_mises"), False) is None
    assert row_density(ml.get_family("gaussian"), False) is not None


@pytest.mark.slow
def test_a_von_mises_fit_saves_where_its_chains_started(tmp_path):
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "von_mises.csv")
    fit = ml.brm("y ~ x + (1 | g)", data, "von_mises", seed=2, draws=100, warmup=100,
                 progressbar=False)
    assert dict(fit.names.starts)["kappa"] == 1.0
    fit.save(tmp_path / "fit")
    loaded = ml.load(tmp_path / "fit")
    np.testing.assert_allclose(loaded.posterior_epred(), fit.posterior_epred())
