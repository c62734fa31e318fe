"""The PyMC model's pieces against independent calculations."""

import numpy as np
import pymc as pm
import pytensor
import pytest

import multilevel as ml
from multilevel.api import _design
from multilevel.model import _lkj_cholesky, build_model, prior_variable
from multilevel.priors import build_prior_table, parse_distribution


def _lkj_log_density(size, eta):
    """Our LKJ Cholesky log density (with Jacobian) as a function of the free values."""
    with pm.Model() as model:
        cholesky = _lkj_cholesky("L", size, eta)
    density = model.compile_fn(model.varlogp + model.potentiallogp)
    factor = pytensor.function([model["L"]], cholesky)
    return (lambda raw: float(density({"L": raw}))), factor


def _correlation_entries(cholesky_of, raw):
    correlation = cholesky_of(raw) @ cholesky_of(raw).T
    return correlation[np.tril_indices(len(correlation), -1)]


@pytest.mark.parametrize(("size", "eta"), [(2, 1.0), (3, 2.0), (4, 0.7)])
def test_lkj_density_matches_change_of_variables(size, eta):
    """log p(raw) = (eta - 1) log det R + log |dR/draw| up to a constant."""
    density, cholesky_of = _lkj_log_density(size, eta)
    rng = np.random.default_rng(size)
    free = size * (size - 1) // 2
    differences = []
    for _ in range(5):
        raw = rng.normal(0, 0.7, free)
        factor = cholesky_of(raw)
        assert np.allclose(np.sum(factor**2, axis=1), 1.0)
        assert np.allclose(np.triu(factor, 1), 0.0)
        step = 1e-6
        jacobian = np.column_stack([
            (_correlation_entries(cholesky_of, raw + step * e)
             - _correlation_entries(cholesky_of, raw - step * e)) / (2 * step)
            for e in np.eye(free)
        ])
        correlation = factor @ factor.T
        expected = (eta - 1) * np.log(np.linalg.det(correlation)) + np.log(
            abs(np.linalg.det(jacobian)))
        differences.append(density(raw) - expected)
    assert np.ptp(differences) < 1e-5


@pytest.mark.parametrize(
    ("text", "lower", "value", "expected"),
    [
        ("student_t(3, 0, 2.5)", 0.0, 1.3,
         np.log(2) + pm.logp(pm.StudentT.dist(nu=3, mu=0, sigma=2.5), 1.3).eval()),
        ("normal(1, 2)", 0.0, 0.5,
         pm.logp(pm.Normal.dist(1, 2), 0.5).eval() - np.log(1 - 0.3085375387259869)),
        ("normal(0, 10)", None, -3.0, pm.logp(pm.Normal.dist(0, 10), -3.0).eval()),
        ("gamma(2, 0.1)", 1.0, 4.0,
         pm.logp(pm.Gamma.dist(2, 0.1), 4.0).eval()
         - np.log(1 - pm.logcdf(pm.Gamma.dist(2, 0.1), 1.0).exp().eval())),
        ("exponential(2)", 0.0, 0.3, np.log(2) - 0.6),
    ],
)
def test_bounded_priors_are_truncated(text, lower, value, expected):
    with pm.Model() as model:
        variable = prior_variable("x", parse_distribution(text), lower)
    logp = pm.logp(variable, value).eval()
    assert logp == pytest.approx(float(expected), rel=1e-6)
    assert model is not None


def test_model_has_brms_variables_with_coords(sleepstudy):
    design = _design("Reaction ~ Days + (Days | Subject)", sleepstudy, "gaussian")
    model, names = build_model(design, build_prior_table(design))
    assert names.stored == ["b_Intercept", "b", "Intercept", "sd_Subject", "cor_Subject",
                            "r_Subject", "sigma"]
    assert model.coords["Subject_coef"] == ("Intercept", "Days")
    assert model.coords["Subject_cor"] == ("Intercept__Days",)
    assert len(model.coords["Subject"]) == 18
    assert model.named_vars_to_dims["r_Subject"] == ("Subject", "Subject_coef")


def test_centring_weight_changes_only_the_parametrisation(sleepstudy):
    """For fixed effects r, the density of u = r / sd^(1-w) differs across w by the Jacobian."""
    design = _design("Reaction ~ Days + (Days | Subject)", sleepstudy, "gaussian")
    table = build_prior_table(design)
    rng = np.random.default_rng(1)
    sd = np.array([20.0, 5.0])
    effects = rng.normal(size=(18, 2)) * sd
    adjusted = []
    for weights in ([0.0, 0.0], [1.0, 1.0], [0.5, 0.3]):
        model, _ = build_model(design, table, [np.array(weights)])
        point = model.initial_point()
        point["sd_Subject_log__"] = np.log(sd)
        point["L_Subject_0"] = np.array([0.4])
        point["u_Subject_0"] = effects / sd ** (1 - np.array(weights))
        log_jacobian = 18 * np.sum((1 - np.array(weights)) * np.log(sd))
        adjusted.append(model.compile_logp()(point) - log_jacobian)
    assert np.ptp(adjusted) < 1e-8


def test_well_informed_groups_are_centred_and_weak_ones_not(sleepstudy, hsb):
    from multilevel.parametrization import centring_weights

    (sleep,) = centring_weights(_design("Reaction ~ Days + (Days | Subject)", sleepstudy,
                                        "gaussian"))
    assert np.all(sleep > 0.5)
    (school,) = centring_weights(_design("mathach ~ ses + (ses | school)", hsb, "gaussian"))
    intercept, slope = school
    assert intercept == slope == 0.0
    rats = ml.load_dataset("rats")
    (batch,) = centring_weights(_design("m | trials(n) ~ 1 + (1 | batch)", rats, "binomial"))
    assert np.all(batch == 0.0)


def test_bad_sampler_settings_are_clear_errors(sleepstudy):
    with pytest.raises(ml.MultilevelError, match="target_accept must lie strictly between"):
        ml.brm("Reaction ~ Days", sleepstudy, target_accept=1.5)
    with pytest.raises(ml.MultilevelError, match="sampler must be one of"):
        ml.brm("Reaction ~ Days", sleepstudy, sampler="stan")
    with pytest.raises(ml.MultilevelError, match="chains must be a positive integer"):
        ml.brm("Reaction ~ Days", sleepstudy, chains=0)
