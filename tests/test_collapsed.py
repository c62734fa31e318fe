"""Gaussian models with the group-level effects integrated out (parametrization="collapsed"):
the marginal likelihood, the effects' draws, the choice of form, and fits against brms."""

import functools
import sys
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytensor
import pytest
from pytensor.compile.mode import Mode
from pytensor.graph.traversal import ancestors
from pytensor.scan.op import Scan
from scipy import linalg, stats

import multilevel as ml
from multilevel.errors import SettingsError
from multilevel.families import get_family
from multilevel.inference.starting_points import initial_points
from multilevel.model.build import build_model
from multilevel.model.collapsed import resolve_parametrization, unsupported_feature
from multilevel.model.collapsed_draws import sampled_names, with_group_effects
from multilevel.model.collapsed_statistics import marginal_statistics
from multilevel.priors.table import build_prior_table
from multilevel.spec.design import build_design
from multilevel.spec.formula import parse_formula
from reference import (
    FAMILY_REFERENCE_DIR,
    REFERENCE_DIR,
    fit_with_warnings,
    load_reference,
    posterior_mismatches,
    reference_data,
    reference_data2,
    reference_formula,
    reference_variables,
    user_priors,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "validation"))

import sbc  # noqa: E402

# every grouping structure the collapsed form has: one factor, correlated and not, nested
# (c within a, whose effects then form one block per level of a), crossed, IDs shared by
# blocks apart in the formula, no population terms, weights, offsets
FORMULAS = [
    "y ~ x + (1 + x | a)",
    "y ~ x + offset(t) + (1 + x + z | a)",
    "y | weights(w) ~ x + offset(t) + (1 + x | a) + (1 | g) + (z || c)",
    "y ~ 0 + (1 | a) + (0 + x | g)",
    "y ~ x + (1 | a/g)",
    "y ~ x + (1 | g) + (1 | p | a) + (1 | c) + (0 + x | p | a) + (0 + z | g)",
    "y ~ x + (x || a) + (1 + z | c)",
    "y | weights(w) ~ x + offset(t) + (1 + x | a) + (1 + z | c)",
]


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 90
    a = rng.integers(0, 6, n)
    return pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n),
                         "z": rng.normal(size=n), "a": a, "g": rng.integers(0, 4, n),
                         "c": [f"{i}_{j}" for i, j in zip(a, rng.integers(0, 3, n), strict=True)],
                         "w": rng.uniform(0.5, 2.0, n), "t": rng.uniform(1.0, 2.0, n)})


def _design(formula, data, family="gaussian"):
    return build_design(parse_formula(formula), data, get_family(family))


def _point_values(design, seed):
    """The collapsed model's parameters at a random point, under their model names."""
    model, names = build_model(design, build_prior_table(design, None), collapsed=True)
    rng = np.random.default_rng(seed)
    # the support points as the samplers start from them, evaluated without compiled code
    point = {name: value + rng.normal(size=np.shape(value))
             for name, value in initial_points(model, [seed])[0].items()}
    wanted = ["y_loglik"] + [n for n in sampled_names(design, names) if n in model.named_vars]
    outputs = model.replace_rvs_by_values([model[n] for n in wanted])
    for variable in ancestors(outputs):
        if variable.owner is not None and isinstance(variable.owner.op, Scan):
            # a loop compiles its body in a mode of its own, C code unless told otherwise,
            # which would take seconds for one evaluation (the model's loops are new objects)
            variable.owner.op.mode = "FAST_COMPILE"
    function = pytensor.function(model.value_vars, outputs,
                                 mode=Mode(linker="py", optimizer=None),
                                 on_unused_input="ignore")
    values = function(**{v.name: point[v.name] for v in model.value_vars})
    return dict(zip(wanted, values, strict=True)), names


def _dense_effects(design, values):
    """Z and Lambda of all group-level effects, in the order of the r_ variables: group by
    group, level by level, each level's coefficients as ``design.group_coefs``."""
    columns, covariances = [], []
    for group in design.groups:
        coefs = design.group_coefs(group)
        sd = np.atleast_1d(values[f"sd_{group}"])
        correlation = np.eye(len(coefs))
        cor = list(np.atleast_1d(values.get(f"cor_{group}", [])))
        position, offset = {}, 0
        for number, block in enumerate(design.blocks):
            if block.group == group:
                position[number], offset = offset, offset + len(block.coefs)
        for members in design.correlation_sets():
            if design.blocks[members[0]].group != group or not design.set_correlated(members):
                continue
            indices = [position[m] + k for m in members
                       for k in range(len(design.blocks[m].coefs))]
            for i in range(1, len(indices)):
                for j in range(i):
                    correlation[indices[i], indices[j]] = correlation[indices[j], indices[i]] = (
                        cor.pop(0))
        covariance = np.outer(sd, sd) * correlation
        blocks = [b for b in design.blocks if b.group == group]
        for level in range(len(blocks[0].levels)):
            columns.append(np.hstack([np.where((b.index == level)[:, None], b.values, 0.0)
                                      for b in blocks]))
            covariances.append(covariance)
    return np.hstack(columns), linalg.block_diag(*covariances)


def _mean(design, values):
    X = design.X - design.X.mean(axis=0)
    mean = np.zeros(design.nobs)
    if design.has_intercept:
        mean += values["Intercept"]
    if design.b_names:
        mean += X @ values["b"]
    return mean + (0.0 if design.offset is None else design.offset)


@pytest.mark.parametrize("formula", FORMULAS)
def test_marginal_likelihood_is_the_normal_density_of_y(simulated, formula):
    design = _design(formula, simulated)
    values, _ = _point_values(design, seed=len(formula))
    Z, covariance = _dense_effects(design, values)
    weights = np.ones(design.nobs) if design.weights is None else design.weights
    sigma = values["sigma"]
    expected = stats.multivariate_normal(
        _mean(design, values), sigma**2 * np.diag(1 / weights) + Z @ covariance @ Z.T
    ).logpdf(design.y)
    # brms's weights multiply each row's log density, which is not the density of a normal
    # with variance sigma^2 / w: the two differ by a constant in the effects
    expected += (np.sum((weights - 1) * (-0.5 * np.log(2 * np.pi) - np.log(sigma)))
                 - 0.5 * np.sum(np.log(weights)))
    assert values["y_loglik"] == pytest.approx(expected, rel=1e-10, abs=1e-8)


@pytest.mark.parametrize("formula", [FORMULAS[2], FORMULAS[5], FORMULAS[6], FORMULAS[7]])
def test_effects_are_drawn_from_their_exact_conditional_posterior(simulated, formula):
    design = _design(formula, simulated)
    values, names = _point_values(design, seed=3)
    draws = 4000
    posterior = {name: np.broadcast_to(value, (1, draws, *np.shape(value)))
                 for name, value in values.items() if name != "y_loglik"}
    idata = with_group_effects(az.from_dict(posterior=posterior), design, names, seed=5)
    assert list(idata.posterior.data_vars) == names.stored
    effects = np.hstack([idata.posterior[f"r_{group}"].values[0].reshape(draws, -1)
                         for group in design.groups])
    # the exact conditional posterior of r: precision Lambda^-1 + Z'WZ / sigma^2
    Z, covariance = _dense_effects(design, values)
    weights = np.ones(design.nobs) if design.weights is None else design.weights
    sigma = values["sigma"]
    residual = design.y - _mean(design, values)
    precision = np.linalg.inv(covariance) + Z.T @ (weights[:, None] * Z) / sigma**2
    exact_covariance = np.linalg.inv(precision)
    exact_mean = exact_covariance @ (Z.T @ (weights * residual)) / sigma**2
    sd = np.sqrt(np.diag(exact_covariance))
    assert np.all(np.abs(effects.mean(axis=0) - exact_mean) < 5 * sd / np.sqrt(draws))
    sample = np.cov(effects, rowvar=False)
    error = np.sqrt((np.outer(sd**2, sd**2) + exact_covariance**2) / draws)
    assert np.all(np.abs(sample - exact_covariance) < 5 * error)
    # the dimensions and labels of the full model's r_
    full, _ = build_model(design, build_prior_table(design, None))
    for group in design.groups:
        r = idata.posterior[f"r_{group}"]
        assert r.dims[2:] == full.named_vars_to_dims[f"r_{group}"]
        assert list(r.coords[r.dims[2]].values) == list(design.group_levels(group))
        assert list(r.coords[r.dims[3]].values) == design.group_coefs(group)
    again = with_group_effects(az.from_dict(posterior=posterior), design, names, seed=5)
    np.testing.assert_array_equal(again.posterior["r_a"].values, idata.posterior["r_a"].values)


def _gaussian_references():
    """Every Gaussian brms reference: (name, reference, data)."""
    found = []
    for path in sorted(REFERENCE_DIR.glob("*.json")) + sorted(FAMILY_REFERENCE_DIR.glob("*.json")):
        reference = load_reference(path.stem, path.parent)
        # brm_multiple()'s reference has several data sets: test_multiple_imputation.py
        if (reference.get("family") != "gaussian" or "summary" not in reference
                or reference.get("imputations")):
            continue
        found.append(path.stem)
    return found


def _reference_design(name):
    directory = REFERENCE_DIR if (REFERENCE_DIR / f"{name}.json").exists() else (
        FAMILY_REFERENCE_DIR)
    reference = load_reference(name, directory)
    return reference, reference_formula(reference), reference_data(reference)


GAUSSIAN_REFERENCES = _gaussian_references()
# the references the collapsed form fits; the others have what it does not support
COLLAPSED_REFERENCES = ["dyestuff", "hsb_glp", "pastes_nested", "sleep_full", "sleep_uncorr",
                        "gaussian_slopes", "gaussian_weights", "sleep_bounded", "horseshoe",
                        "sleep_constant", "ordered_predictor", "spline_ns", "r2d2",
                        "sleep_uncentred"]


def test_the_gaussian_references_are_those_expected():
    assert set(COLLAPSED_REFERENCES) < set(GAUSSIAN_REFERENCES)


@pytest.mark.parametrize("name", GAUSSIAN_REFERENCES)
def test_every_gaussian_reference_has_the_collapsed_form_or_says_why_not(name):
    reference, formula, data = _reference_design(name)
    design = build_design(parse_formula(formula), data, get_family("gaussian"),
                          reference_data2(reference))
    if name in COLLAPSED_REFERENCES:
        assert unsupported_feature(design) is None
        assert resolve_parametrization(design, "collapsed") == "collapsed"
    else:
        reason = unsupported_feature(design)
        assert reason is not None
        assert resolve_parametrization(design, "auto") == "full"
        with pytest.raises(SettingsError, match="parametrization='collapsed' does not support"):
            resolve_parametrization(design, "collapsed")


@pytest.mark.parametrize("formula, family, options, feature", [
    ("y ~ x + (1 | a)", "student", {}, "the student family"),
    ("y ~ x + (1 | a)", "lognormal", {}, "the lognormal family"),
    ("y ~ x", "gaussian", {}, "without group-level terms"),
    ("y ~ x + (1 | a) + ar(time = t, gr = a)", "gaussian", {}, "residual structures"),
    ("y ~ s(x) + (1 | a)", "gaussian", {}, "smooth terms"),
    ("y ~ x + (1 | a)", "gaussian", {"sample_prior": "only"}, "sample_prior='only'"),
])
def test_unsupported_models_name_the_feature(simulated, formula, family, options, feature):
    data = simulated.assign(y=simulated["y"].abs() + 0.1, t=np.arange(len(simulated)))
    with pytest.raises(SettingsError, match=feature):
        ml.brm(formula, data, family=family, parametrization="collapsed", **options)


def test_predicted_sigma_is_unsupported(simulated):
    with pytest.raises(SettingsError, match=r"predicted distributional parameters \(sigma\)"):
        ml.brm(ml.bf("y ~ x + (1 | a)", sigma="~ x"), simulated, parametrization="collapsed")


def test_parametrization_must_be_one_of_three(simulated):
    with pytest.raises(SettingsError, match="parametrization must be one of auto, collapsed, "
                                            "full, got 'centred'"):
        ml.brm("y ~ x + (1 | a)", simulated, parametrization="centred")


def test_too_many_effects_outside_the_largest_factor_are_unsupported():
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"y": rng.normal(size=6000), "a": np.arange(6000) % 3000,
                         "g": np.arange(6000) // 2})
    design = _design("y ~ 1 + (1 | a) + (1 | g)", data)
    assert "3000 group-level effects outside the largest grouping factor" in (
        unsupported_feature(design))


def test_an_enclosing_factor_has_no_limit_on_its_effects():
    # 600 classes of 5 pupils: the classes' effects form one small block per class
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"y": rng.normal(size=6000), "pupil": np.arange(6000) // 2,
                         "class": np.arange(6000) // 10})
    design = _design("y ~ 1 + (1 | pupil) + (1 | class)", data)
    assert unsupported_feature(design) is None
    assert resolve_parametrization(design, "auto") == "collapsed"
    statistics = marginal_statistics(design)
    np.testing.assert_array_equal(statistics.rest_parent, np.arange(3000) // 5)
    assert statistics.cross.shape == (3000, 1, 1)


def test_approximations_integrate_the_effects_out_where_they_can(simulated):
    design = _design("y ~ x + (1 + x | a)", simulated)
    counts = simulated.assign(y=(simulated["y"] > 0).astype(int))
    binary = _design("y ~ x + (1 + x | a)", counts, "bernoulli")
    # crossed factors: NUTS fits them faster in full, approximations still collapse them
    crossed = _design("y ~ x + (1 | a) + (1 | g)", simulated)
    assert resolve_parametrization(crossed, "auto") == "full"
    for algorithm in ("meanfield", "fullrank", "pathfinder", "laplace"):
        assert resolve_parametrization(design, "auto", algorithm=algorithm) == "collapsed"
        assert resolve_parametrization(crossed, "auto", algorithm=algorithm) == "collapsed"
        assert resolve_parametrization(design, "full", algorithm=algorithm) == "full"
        # a model without the collapsed form keeps the full one
        assert resolve_parametrization(binary, "auto", algorithm=algorithm) == "full"


# --------------------------------------------------------------------------------------------
# Fits


def _fit(name, **options):
    reference, formula, data = _reference_design(name)
    fit, messages = fit_with_warnings(formula, data, seed=20261123, draws=500, warmup=500,
                                      progressbar=False, prior=user_priors(name), **options)
    return reference, fit, messages


def _other_form(name) -> str:
    """The form ``"auto"`` does not choose for a reference: the default fits of the reference
    tests (test_reference_fits.py, test_families.py) compare the other with brms."""
    _, formula, data = _reference_design(name)
    automatic = resolve_parametrization(_design(formula, data), "auto")
    return "full" if automatic == "collapsed" else "collapsed"


@pytest.fixture(scope="module")
def collapsed_fits():
    """Each reference in the form ``"auto"`` does not choose."""
    return {name: _fit(name, parametrization=_other_form(name)) for name in COLLAPSED_REFERENCES}


def test_auto_collapses_one_factor_or_one_enclosing_factor():
    chosen = {name: resolve_parametrization(_design(*_reference_design(name)[1:]), "auto")
              for name in COLLAPSED_REFERENCES}
    assert chosen == {"dyestuff": "collapsed", "hsb_glp": "collapsed",
                      "pastes_nested": "collapsed", "sleep_full": "collapsed",
                      "sleep_uncorr": "collapsed", "gaussian_slopes": "full",
                      "gaussian_weights": "collapsed", "sleep_bounded": "collapsed",
                      "horseshoe": "collapsed", "sleep_constant": "collapsed",
                      "ordered_predictor": "collapsed", "spline_ns": "collapsed",
                      "r2d2": "collapsed", "sleep_uncentred": "collapsed"}


@pytest.mark.slow
@pytest.mark.parametrize("name", COLLAPSED_REFERENCES)
def test_the_form_auto_does_not_choose_equals_brms(collapsed_fits, name):
    reference, fit, messages = collapsed_fits[name]
    assert fit.settings.parametrization == _other_form(name)
    assert posterior_mismatches(fit, reference["summary"]) == []
    brms_names = {row["variable"] for row in reference["summary"]}
    assert set(reference_variables(fit, reference)) == brms_names
    # (a slope pressed against its upper bound meets a few, as in test_families.py)
    allowed = 10 if user_priors(name) else 0
    assert int(fit.idata.sample_stats["diverging"].sum()) <= allowed, messages


def _as_reference(fit) -> list[dict]:
    summary = fit.posterior_summary()
    return [{"variable": name, "mean": row["Estimate"], "sd": row["Est.Error"],
             "ess_bulk": row["Bulk_ESS"], "ess_tail": row["Tail_ESS"]}
            for name, row in summary.iterrows()]


@pytest.mark.slow
def test_collapsed_and_full_forms_agree(collapsed_fits):
    _, collapsed, _ = collapsed_fits["gaussian_slopes"]
    _, full, _ = _fit("gaussian_slopes", parametrization="full")
    assert (collapsed.settings.parametrization, full.settings.parametrization) == (
        "collapsed", "full")
    assert posterior_mismatches(collapsed, _as_reference(full)) == []


@pytest.mark.slow
def test_a_collapsed_fit_works_downstream_and_round_trips(tmp_path):
    _, fit, _ = _fit("sleep_full")
    assert fit.settings.parametrization == "collapsed"
    assert fit.ranef()["Subject"].shape == (18, 8)
    assert fit.posterior_predict().shape == (2000, 180)
    # the pointwise log-likelihood reads the drawn effects as any fit's
    log_lik = fit.log_lik()
    assert log_lik.shape == (2000, 180) and np.isfinite(log_lik).all()
    fit.save(tmp_path / "fit")
    loaded = ml.load(tmp_path / "fit")
    assert loaded.settings.parametrization == "collapsed"
    np.testing.assert_array_equal(loaded.idata.posterior["r_Subject"].values,
                                  fit.idata.posterior["r_Subject"].values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: the ESS warnings are expected
        # update() chooses the form again for an automatic choice, and keeps a forced one
        assert fit.update(draws=100, warmup=100).settings.parametrization == "collapsed"
        full = fit.update(draws=100, warmup=100, parametrization="full")
        assert full.settings.parametrization == "full"
        assert full.update(draws=100, warmup=100).settings.parametrization == "full"


# every replication compiles a model for its data; a few keep the suite quick
SBC_REPLICATIONS = 8


@pytest.mark.slow
def test_calibration_of_a_collapsed_crossed_model(monkeypatch):
    model = sbc.MODELS["gaussian_crossed"]
    monkeypatch.setattr(ml, "brm", functools.partial(ml.brm, parametrization="collapsed"))
    ranked = 19
    settings = sbc.Settings(sampler="numpyro", chains=1, draws=200, warmup=200, ranked=ranked)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = sbc.run(model, range(SBC_REPLICATIONS), settings, log=None, size=(8, 6))
    assert (results["status"] == "ok").all(), results["status"].iloc[0]
    counts = results.groupby("parameter")["replication"].nunique()
    assert (counts == SBC_REPLICATIONS).all()
    assert {"r_a[1,Intercept]", "r_b[2,Intercept]", "sd_a__Intercept", "sigma"} <= set(counts.index)
    # a biased posterior puts its truth outside the draws nearly every time
    extreme = results["rank"].isin([0, ranked]).groupby(results["parameter"]).all()
    assert not extreme.any(), list(extreme[extreme].index)
    _, p_value = sbc.chi_square_uniformity(results["rank"].astype(int), ranked=ranked, bins=4)
    assert p_value > 1e-4
