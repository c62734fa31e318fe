"""Marginal likelihoods by bridge sampling (brms's bridge_sampler(), bayes_factor(),
post_prob()) against brms 2.18 and bridgesampling 1.1 (tests/reference/bridge/make_bridge.R),
and the LKJ prior's normalising constant they need."""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import betaln

import multilevel as ml
from multilevel.errors import MultilevelError, SettingsError
from multilevel.model.lkj import lkj_log_normaliser

REFERENCES = json.loads((Path(__file__).parent / "reference" / "bridge" / "bridge.json")
                        .read_text())
# the models of make_bridge.R: data, family and the priors that make every prior proper
MODELS = {
    "sleep_slopes": ("sleepstudy", "Reaction ~ Days + (Days | Subject)", "gaussian",
                     ml.prior("normal(0, 20)", class_="b")),
    "sleep_intercepts": ("sleepstudy", "Reaction ~ Days + (1 | Subject)", "gaussian",
                         ml.prior("normal(0, 20)", class_="b")),
    "dyestuff": ("dyestuff", "Yield ~ 1 + (1 | Batch)", "gaussian", None),
    "epilepsy": ("epilepsy", "count ~ zAge + zBase * Trt + (1 | patient)", "poisson",
                 ml.prior("normal(0, 1)", class_="b")),
}


@pytest.mark.parametrize("eta", [0.5, 1.0, 2.0, 7.5])
def test_the_lkj_constant_of_one_correlation_is_its_integral(eta):
    # LKJ(eta) of a 2 x 2 matrix: a density (1 - r^2)^(eta - 1) / c on (-1, 1)
    integral, _ = integrate.quad(lambda r: (1 - r * r) ** (eta - 1), -1, 1)
    assert lkj_log_normaliser(2, eta) == pytest.approx(math.log(integral), rel=1e-9)


def test_the_lkj_constant_of_three_correlations_is_their_volume():
    # the 3 x 3 correlation matrices fill a volume pi^2 / 2 (Rousseeuw & Molenberghs 1994)
    assert lkj_log_normaliser(3, 1.0) == pytest.approx(math.log(math.pi ** 2 / 2), rel=1e-12)
    # and LKJ's theorem for larger ones, written out for K = 4, eta = 2
    expected = (sum((2 * 2.0 - 2 + 4 - k) * (4 - k) for k in (1, 2, 3)) * math.log(2)
                + sum((4 - k) * betaln(2.0 + (3 - k) / 2, 2.0 + (3 - k) / 2) for k in (1, 2, 3)))
    assert lkj_log_normaliser(4, 2.0) == pytest.approx(expected, rel=1e-12)


def test_save_pars_takes_brms_spelling():
    assert ml.save_pars(all=True).all and not ml.save_pars().all
    with pytest.raises(MultilevelError, match="True or False"):
        ml.save_pars(all="yes")
    with pytest.raises(SettingsError, match=r"made by ml.save_pars\(all=True\)"):
        ml.brm("Yield ~ 1 + (1 | Batch)", ml.load_dataset("dyestuff"), save_pars=True)


def _fit(name, **options):
    data, formula, family, prior = MODELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # brms's convergence warnings are not tested here
        return ml.brm(formula, ml.load_dataset(data), family=family, prior=prior, seed=20261207,
                      progressbar=False, save_pars=ml.save_pars(all=True), **options)


@pytest.fixture(scope="module")
def fits():
    return {name: _fit(name) for name in MODELS}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_log_marginal_likelihood_equals_brms(fits, name):
    reference = REFERENCES[name]
    estimate = ml.bridge_sampler(fits[name])
    brms = float(np.mean(reference["logml"]))
    # both estimates' errors: bridgesampling's coefficient of variation of each
    bound = 4 * math.hypot(estimate.cv, reference["cv"])
    assert abs(estimate.logml - brms) < bound, (estimate.logml, brms, bound)
    assert estimate.niter < 100 and 0 < estimate.cv < 0.5


@pytest.mark.slow
def test_bayes_factor_and_posterior_probabilities(fits):
    slopes, intercepts = fits["sleep_slopes"], fits["sleep_intercepts"]
    first, second = ml.bridge_sampler(slopes), ml.bridge_sampler(intercepts)
    factor = ml.bayes_factor(slopes, intercepts)
    assert factor == pytest.approx(math.exp(first.logml - second.logml))
    # brms's log Bayes factor of the same two models: about 17 in favour of the slopes
    brms = (np.mean(REFERENCES["sleep_slopes"]["logml"])
            - np.mean(REFERENCES["sleep_intercepts"]["logml"]))
    bound = 4 * math.hypot(math.hypot(first.cv, second.cv),
                           math.hypot(REFERENCES["sleep_slopes"]["cv"],
                                      REFERENCES["sleep_intercepts"]["cv"]))
    assert abs(math.log(factor) - brms) < bound
    probabilities = ml.post_prob(slopes, intercepts, prior_prob=[0.1, 0.9])
    odds = factor * 0.1 / 0.9
    assert probabilities.to_dict() == pytest.approx({"fit1": odds / (1 + odds),
                                                      "fit2": 1 / (1 + odds)})
    # brms's model_weights(weights = "bma"): the same probabilities, equal priors
    weights = ml.model_weights(slopes, simpler=intercepts, weights="bma")
    assert weights.to_dict() == pytest.approx({"model1": factor / (1 + factor),
                                               "simpler": 1 / (1 + factor)})
    with pytest.raises(MultilevelError, match="same responses"):
        ml.bayes_factor(slopes, fits["dyestuff"])


@pytest.mark.slow
def test_the_estimate_is_the_same_from_every_backend():
    # nutpie's model of the Poisson counts, its likelihood fused with the group terms
    reference = REFERENCES["epilepsy"]
    estimate = ml.bridge_sampler(_fit("epilepsy", sampler="nutpie"))
    bound = 4 * math.hypot(estimate.cv, reference["cv"])
    assert abs(estimate.logml - np.mean(reference["logml"])) < bound


@pytest.mark.slow
def test_a_full_fit_of_a_gaussian_model_is_bridged_on_its_collapsed_density(fits):
    # the same marginal likelihood, bridged in the hyperparameters' dimensions only
    collapsed = ml.bridge_sampler(fits["sleep_slopes"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = _fit("sleep_slopes", parametrization="full", chains=2, draws=500, warmup=500)
    assert "z_Subject_0" in full.idata.unconstrained_posterior
    estimate = ml.bridge_sampler(full)
    assert abs(estimate.logml - collapsed.logml) < 4 * math.hypot(estimate.cv, collapsed.cv)


@pytest.mark.slow
def test_a_saved_fit_keeps_the_unconstrained_draws(fits, tmp_path):
    fits["dyestuff"].save(tmp_path / "dyestuff")
    loaded = ml.load(tmp_path / "dyestuff")
    assert "unconstrained_posterior" in loaded.idata.groups()
    assert ml.bridge_sampler(loaded).logml == ml.bridge_sampler(fits["dyestuff"]).logml
    # the brms parameters are those of a fit without save_pars
    assert set(loaded.idata.posterior.data_vars) == {"b_Intercept", "Intercept",
                                                     "sd_Batch", "r_Batch", "sigma", "lprior"}


@pytest.mark.slow
def test_bridge_sampling_names_what_it_needs():
    data = ml.load_dataset("dyestuff").assign(x=np.linspace(-1, 1, 30))
    short = {"chains": 1, "draws": 50, "warmup": 50, "seed": 1, "progressbar": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # brms's warnings of a short run
        plain = ml.brm("Yield ~ 1 + (1 | Batch)", data, **short)
        flat = ml.brm("Yield ~ x + (1 | Batch)", data, save_pars=ml.save_pars(all=True),
                      **short)
        # update() keeps save_pars, as it keeps the other settings
        again = flat.update(draws=60)
    with pytest.raises(MultilevelError, match=r"save_pars=ml.save_pars\(all=True\)"):
        plain.bridge_sampler()
    with pytest.raises(MultilevelError, match="proper priors.*class b"):
        flat.bridge_sampler()
    assert "unconstrained_posterior" in again.idata.groups()


def test_the_iteration_and_its_error_survive_large_log_densities():
    from multilevel.results.bridge_sampling import _coefficient_of_variation, _iterate

    rng = np.random.default_rng(4)
    q11, q12 = rng.normal(-10, 1, 400), rng.normal(-3, 1, 400)
    q21, q22 = rng.normal(-12, 2, 400), rng.normal(-3, 1, 400)
    logml, _ = _iterate(q11 - q12, q21 - q22, 400.0)
    cv = _coefficient_of_variation(q11, q12, q21, q22, logml, 4)
    # a model of many parameters: every log density 800 lower, the ratio 800 lower too
    shifted, _ = _iterate(q11 - 800 - q12, q21 - 800 - q22, 400.0)
    assert shifted == pytest.approx(logml - 800)
    assert _coefficient_of_variation(q11 - 800, q12, q21 - 800, q22, shifted, 4) == (
        pytest.approx(cv))


def test_flat_priors_of_every_class_are_named():
    from multilevel.api import _model_parts
    from multilevel.results.bridge_sampling import _improper_rows

    data = pd.DataFrame({"y": np.linspace(0, 1, 40), "x": np.sin(np.arange(40.0)),
                         "t": np.tile(np.arange(10), 4), "g": np.repeat(list("abcd"), 10)})
    _, table = _model_parts("y ~ s(x) + ar(time = t, gr = g, p = 1)", data, "gaussian", None)
    assert _improper_rows(table) == ["class ar", "class b coef sx_1"]
    # a flat prior between bounds one apart is uniform there (cosy's correlation)
    _, table = _model_parts("y ~ x + cosy(time = t, gr = g)", data, "gaussian",
                            ml.prior("normal(0, 1)", class_="b"))
    assert _improper_rows(table) == []


@pytest.mark.slow
def test_shifted_ordered_values_keep_their_normalising_constant():
    import pymc as pm

    from multilevel.priors.distributions import ordered_prior_variable, parse_distribution

    priors = [parse_distribution("normal(0, 5)")] * 3
    with pm.Model() as plain:
        ordered_prior_variable("c", priors)
    with pm.Model() as shifted:
        ordered_prior_variable("c", priors, starts=np.array([-2.0, 1.0, 5.0]))
    # the same thresholds (-1, 0.5, 3): gaps of 1.5 and 2.5, less the starts' 3 and 4
    point = np.array([-1.0, np.log(1.5), np.log(2.5)])
    moved = point - np.array([-2.0, np.log(3.0), np.log(4.0)])
    assert plain.compile_logp()({"c_unconstrained": point}) == pytest.approx(
        shifted.compile_logp()({"c_unconstrained": moved}))


@pytest.mark.slow
def test_a_simplex_keeps_its_unconstrained_draws():
    data = ml.load_dataset("sleepstudy").assign(step=lambda f: f["Days"] // 3 + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # brms's warnings of a short run
        fit = ml.brm("Reaction ~ mo(step)", data, prior=ml.prior("normal(0, 50)", class_="b"),
                     chains=2, draws=300, warmup=300, seed=2, progressbar=False,
                     save_pars=ml.save_pars(all=True))
    # the simplex of the three steps between four levels has two unconstrained values
    sizes = {name: int(np.prod(array.shape[2:]))
             for name, array in fit.idata.unconstrained_posterior.data_vars.items()}
    assert sizes["simo_mostep1_simplex__"] == 2
    assert np.isfinite(fit.bridge_sampler().logml)
