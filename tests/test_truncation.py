"""Truncated responses, brms's ``y | trunc(lb, ub)``: the formula, the checks, the likelihood
as brms's Stan code writes it, the means and draws within the bounds, and two brms 2.18
references (tests/reference/families/truncated_gaussian.json, truncated_poisson.json) with
their fitted() values for new rows."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import multilevel as ml
from multilevel.errors import DataError, FamilyError, FormulaError
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
    reference_newdata,
)

REFERENCES = family_reference_names("truncation")


@pytest.fixture(scope="module")
def data():
    frame = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "truncated.csv")
    return frame.assign(cap=frame["count"] + 2, low=frame["y"] - 1.0, censored="none")


@pytest.mark.parametrize(("formula", "family", "error", "message"), [
    ("y | trunc(lb = 0, top = 3) ~ x", "gaussian", FormulaError, "no argument 'top'"),
    ("y | trunc(lb = -Inf) ~ x", "gaussian", FormulaError, "gives no bound"),
    ("y | trunc(0, 5, 6) ~ x", "gaussian", FormulaError, "at most once"),
    ("y | trunc(lb = 1) ~ x", "gaussian", DataError, "outside of the truncation bounds"),
    ("y | trunc(ub = 2) ~ x", "gaussian", DataError, "outside of the truncation bounds"),
    ("y | trunc(lb = 0) ~ x", "student", FamilyError, "not supported for family 'student'"),
    ("count | trunc(lb = 1) ~ x", "negbinomial", FamilyError, "binomial, exponential, gamma"),
    ("count | trunc(lb = 0.5) ~ x", "poisson", DataError, "whole numbers"),
    ("y | trunc(lb = nothing) ~ x", "gaussian", FormulaError, "'nothing'"),
    ("y | trunc(lb = 0) ~ x + ar(time = x)", "gaussian", FormulaError,
     "cannot also have a residual structure"),
])
def test_bad_truncations_are_named(data, formula, family, error, message):
    with pytest.raises(error, match=message):
        ml.get_prior(formula, data, family)


def test_bounds_take_numbers_columns_and_positions(data):
    from multilevel.spec.design import build_design
    from multilevel.spec.formula import parse_formula

    design = build_design(parse_formula("y | trunc(low) ~ x"), data, ml.get_family("gaussian"))
    np.testing.assert_array_equal(design.truncation.lower, data["low"])
    assert design.truncation.upper is None
    design = build_design(parse_formula("count | trunc(ub = cap) ~ x"), data,
                          ml.get_family("poisson"))
    assert design.truncation.lower is None
    np.testing.assert_array_equal(design.truncation.upper, data["cap"])


def _model_log_likelihood(formula, frame, family, point):
    model = ml.make_model(formula, frame, family)
    (potential,) = model.replace_rvs_by_values(model.potentials)
    return float(model.compile_fn(potential, inputs=model.value_vars, mode=QUICK)(point))


def test_the_likelihood_is_brms_stan_code(data):
    """brms 2.18's likelihood: normal_lpdf(Y | mu, sigma) - normal_lccdf(lb | mu, sigma), and
    for counts poisson_lpmf(Y | mu) - log_diff_exp(poisson_lcdf(ub | mu), poisson_lcdf(lb - 1
    | mu))."""
    frame = data.iloc[:40]
    x = frame["x"].to_numpy()
    point = {"Intercept": 0.4, "b": np.array([0.6]), "sigma_log__": np.log(1.3)}
    mu = 0.4 + 0.6 * (x - x.mean())
    theirs = np.sum(stats.norm.logpdf(frame["y"], mu, 1.3) - stats.norm.logsf(0.0, mu, 1.3))
    ours = _model_log_likelihood("y | trunc(lb = 0) ~ x", frame, "gaussian", point)
    assert ours == pytest.approx(theirs, rel=1e-8)  # PyMC's and SciPy's normal tails
    point = {"Intercept": 0.3, "b": np.array([0.5])}
    rate = np.exp(0.3 + 0.5 * (x - x.mean()))
    cap = frame["cap"].to_numpy()
    theirs = np.sum(stats.poisson.logpmf(frame["count"], rate)
                    - np.log(stats.poisson.cdf(cap, rate) - stats.poisson.cdf(0, rate)))
    ours = _model_log_likelihood("count | trunc(lb = 1, ub = cap) ~ x", frame, "poisson", point)
    assert ours == pytest.approx(theirs, rel=1e-8)


def test_censored_rows_are_truncated_too_as_in_brms_stan_code():
    """brms 2.18's likelihood of ``time | cens(censored) + trunc(lb = entry)``: each row's
    censoring term (the log density, or lccdf where right-censored) less lccdf(entry)."""
    frame = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "delayed_entry.csv").iloc[:60]
    x = frame["x"].to_numpy()
    point = {"Intercept": 1.1, "b": np.array([0.4]), "sigma_log__": np.log(0.6)}
    mu = 1.1 + 0.4 * (x - x.mean())
    dist = stats.lognorm(s=0.6, scale=np.exp(mu))
    right = frame["censored"].to_numpy() == 1
    terms = np.where(right, dist.logsf(frame["time"]), dist.logpdf(frame["time"]))
    theirs = np.sum(terms - dist.logsf(frame["entry"]))
    ours = _model_log_likelihood("time | cens(censored) + trunc(lb = entry) ~ x", frame,
                                 "lognormal", point)
    assert ours == pytest.approx(theirs, rel=1e-8)
    assert right.any() and (~right).any()


def test_censored_rows_stay_within_the_bounds():
    """A left-censored row of a truncated response has probability P(lb < Y <= y) and a
    right-censored one P(y < Y <= ub), each over P(lb < Y <= ub): at most one, where brms
    2.18's P(Y <= y) / P(lb < Y <= ub) grows without bound as the mean falls below lb. The
    model and the pointwise log-likelihood both."""
    from multilevel.spec.design import build_design
    from multilevel.spec.formula import parse_formula

    frame = pd.DataFrame({"y": [0.5, 0.8, 2.0, 1.5, 3.0], "c": [-1, -1, 0, 1, 1],
                          "lb": [0.0, 0.2, 0.0, 0.1, 0.0], "ub": [4.0, 5.0, 4.0, 3.0, 3.5],
                          "x": [0.0, 1.0, -1.0, 0.5, 2.0]})
    formula = "y | cens(c) + trunc(lb = lb, ub = ub) ~ x"
    mu = 0.3 + 0.5 * (frame["x"] - frame["x"].mean())
    dist = stats.norm(mu, 1.2)
    y, lb, ub = frame["y"], frame["lb"], frame["ub"]
    terms = np.select([frame["c"] == -1, frame["c"] == 1],
                      [np.log(dist.cdf(y) - dist.cdf(lb)), np.log(dist.cdf(ub) - dist.cdf(y))],
                      dist.logpdf(y)) - np.log(dist.cdf(ub) - dist.cdf(lb))
    point = {"Intercept": 0.3, "b": np.array([0.5]), "sigma_log__": np.log(1.2)}
    ours = _model_log_likelihood(formula, frame, "gaussian", point)
    assert ours == pytest.approx(terms.sum(), rel=1e-8)
    design = build_design(parse_formula(formula), frame, ml.get_family("gaussian"))
    pointwise = design.family.log_density(
        design.y, mu.to_numpy()[None, :], {"sigma": np.array([[1.2]])}, None, design.censoring,
        design.truncation.bounds)
    # (evaluated without graph rewrites: its normal CDF differs from SciPy's in the eighth
    # digit)
    np.testing.assert_allclose(pointwise[0], terms, rtol=1e-6)
    assert np.all(terms[frame["c"] != 0] < 0)


def test_the_equation_and_program_show_the_bounds(data):
    text = ml.equation("count | trunc(lb = 1, ub = cap) ~ x + (1 | g)", data, "poisson").latex
    assert r"\text{, truncated to } (1, \mathrm{cap}_{i})" in text
    assert r"\text{, truncated to } (0, \infty)" in ml.equation("y | trunc(lb = 0) ~ x",
                                                                 data).latex
    code = str(ml.model_code("y | trunc(lb = 0) ~ x", data))
    assert "trunc_lower = 0.0" in code
    assert ('pm.Truncated("y", untruncated, lower=trunc_lower, observed=y)' in code)


@pytest.mark.parametrize("family", ["gaussian", "lognormal", "gamma", "exponential", "weibull",
                                    "poisson", "binomial"])
def test_truncated_means_are_the_distributions_means_within_the_bounds(family):
    """Each family's mean within (lower, upper] (counts: lower..upper) against SciPy's
    numerical expectation."""
    mu = {"gaussian": 1.0, "lognormal": 0.3, "gamma": 2.0, "exponential": 1.5, "weibull": 2.0,
          "poisson": 3.0, "binomial": 0.4}[family]
    aux = {"sigma": 0.8, "shape": 1.7}
    frozen = {
        "gaussian": stats.norm(mu, aux["sigma"]),
        "lognormal": stats.lognorm(aux["sigma"], scale=np.exp(mu)),
        "gamma": stats.gamma(aux["shape"], scale=mu / aux["shape"]),
        "exponential": stats.expon(scale=mu),
        # brms's Weibull has mean mu: scale mu / Gamma(1 + 1 / shape)
        "weibull": stats.weibull_min(aux["shape"],
                                     scale=mu / special.gamma(1 + 1 / aux["shape"])),
        "poisson": stats.poisson(mu),
        "binomial": stats.binom(10, mu),
    }[family]
    for lower, upper in [(0.5, None), (None, 3.0), (1.0, 4.0)]:
        if family in ("poisson", "binomial"):
            lower = None if lower is None else np.ceil(lower)
            low = -1 if lower is None else lower - 1  # counts: lower..upper
        else:
            low = -np.inf if lower is None else lower
        high = np.inf if upper is None else upper
        if family in ("poisson", "binomial"):
            top = int(min(high, 200))
            expected = (sum(v * frozen.pmf(v) for v in range(int(low) + 1, top + 1))
                        / (frozen.cdf(top) - frozen.cdf(low)))
        else:
            expected = frozen.expect(lambda v: v, lb=low, ub=high, conditional=True)
        bounds = [None if b is None else np.array([b]) for b in (lower, upper)]
        ours = ml.get_family(family).truncated_mean(
            np.array([[mu]]), {k: np.array([[v]]) for k, v in aux.items()},
            np.array([10]), *[None if b is None else b[None, :] for b in bounds])
        assert float(ours[0, 0]) == pytest.approx(expected, rel=1e-6), (lower, upper)


# Censored rows that are truncated too leave the intercept and the group effects a ridge
# along which they trade: at brms's default target_accept, one chain in a few runs wanders
# down it with divergent transitions (brms met none in 4000 draws); a smaller step does not.
# The posterior is the same.
SETTINGS = {"delayed_entry": {"target_accept": 0.95}}


@pytest.fixture(scope="module")
def fits():
    out = {}
    for name in REFERENCES:
        reference = load_reference(name, FAMILY_REFERENCE_DIR)
        frame = reference_data(reference)
        family = ml.get_family(reference["family"], reference["link"])
        fit, messages = fit_with_warnings(reference["formula"], frame, family, seed=20261206,
                                          draws=500, warmup=500, progressbar=False,
                                          **SETTINGS.get(name, {}))
        out[name] = (reference, frame, family, fit, messages)
    return out


def test_both_references_are_compared():
    assert REFERENCES == ["delayed_entry", "truncated_gaussian", "truncated_poisson"]


@pytest.mark.parametrize("name", REFERENCES)
def test_prior_table_equals_brms(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    frame = reference_data(reference)
    table = ml.get_prior(reference["formula"], frame, reference["family"])
    assert prior_mismatches(table, reference["prior"]) == []


def _brms_fitted_draws(fit, newdata):
    """Our draws of what brms 2.18's fitted() computes for new rows. For counts it sums the
    values above the lower bound, lb + 1 to ub (posterior_epred_trunc_discrete), where its
    likelihood (lccdf(lb - 1)) and its predictions keep lb itself: the mean of the counts
    from lb + 1, from our draws, matches that."""
    from multilevel.results.predict import PredictionRequest, linear_predictor

    if not fit.family.discrete:
        return fit.posterior_epred(newdata=newdata)
    prediction = linear_predictor(fit, PredictionRequest(newdata=newdata))
    lower, upper = prediction.truncation
    return fit.family.expected_value(prediction.eta, prediction.aux, prediction.trials,
                                     (lower + 1, upper))


@pytest.mark.slow
@pytest.mark.parametrize("name", REFERENCES)
def test_posterior_and_fitted_values_equal_brms(fits, name):
    reference, frame, _, fit, messages = fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []
    assert not [m for m in messages if "R-hat" in m or "divergent" in m]
    newdata = reference_newdata(reference)
    draws = _brms_fitted_draws(fit, newdata)
    assert fitted_mismatches(draws.reshape(4, 500, len(newdata)), reference["fitted"],
                             brms_efficiency(fit, reference["summary"])) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", REFERENCES)
def test_expected_values_are_the_means_of_the_predictions(fits, name):
    """posterior_epred() within the bounds is the mean of posterior_predict()'s draws, each
    draw's within its Monte Carlo error."""
    from multilevel.results.predict import PredictionRequest, linear_predictor

    reference, _, _, fit, _ = fits[name]
    newdata = reference_newdata(reference)
    means = fit.posterior_epred(newdata=newdata, ndraws=40, seed=2)
    # 400 new observations under each of the same 40 draws
    prediction = linear_predictor(fit, PredictionRequest(newdata=newdata, ndraws=40, seed=2))
    rng = np.random.default_rng(0)
    many = np.stack([fit.family.random(rng, prediction.eta, prediction.aux, None,
                                       prediction.truncation) for _ in range(400)])
    error = many.std(axis=0) / np.sqrt(len(many))
    assert np.all(np.abs(many.mean(axis=0) - means) < 5 * error)


@pytest.mark.slow
def test_predictions_and_criteria_keep_to_the_bounds(fits):
    _, frame, _, fit, _ = fits["truncated_poisson"]
    draws = fit.posterior_predict(ndraws=300, seed=3)
    assert draws.min() >= 1
    assert np.all(draws == np.round(draws))
    # the truncated density's log-likelihood: the untruncated one less log P(Y >= 1)
    from multilevel.results.predict import PredictionRequest, linear_predictor

    prediction = linear_predictor(fit, PredictionRequest())
    untruncated = fit.family.log_density(fit.design.y, prediction.eta, prediction.aux)
    np.testing.assert_allclose(fit.log_lik() - untruncated,
                               -np.log1p(-np.exp(-np.exp(prediction.eta))), rtol=1e-9)
    _, _, _, gaussian, _ = fits["truncated_gaussian"]
    assert gaussian.posterior_predict(ndraws=300, seed=4).min() > 0
    newdata = pd.DataFrame({"x": [0.0], "g": ["new"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        means = gaussian.posterior_epred(newdata=newdata, allow_new_levels=True)
    assert (means > 0).all()
    summary = str(gaussian.summary())
    assert "Formula: y | trunc(lb = 0) ~ x + (1 | g)" in summary


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*Effective Samples Size")  # a short fit
def test_bounds_from_columns_reach_new_rows_and_conditional_effects(data):
    fit = ml.brm("y | trunc(lb = low) ~ x", data, seed=1, chains=1, draws=100, warmup=100,
                 progressbar=False)
    newdata = pd.DataFrame({"x": [0.0, 0.0], "low": [-5.0, 1.5]})
    means = fit.posterior_epred(newdata=newdata)
    # a higher bound, a higher mean within it
    assert np.all(means[:, 1] > 1.5) and np.all(means[:, 1] > means[:, 0])
    assert fit.posterior_predict(newdata=newdata, seed=1)[:, 1].min() > 1.5
    with pytest.raises(FormulaError, match=r"'low' used in trunc\(lb = low\)"):
        fit.posterior_epred(newdata=newdata.drop(columns="low"))
    # the bound's column held at its mean, as brms holds numeric variables
    assert fit.conditional_effects("x").axes[0].get_xlabel() == "x"
