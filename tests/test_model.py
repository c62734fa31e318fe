"""The PyMC model's pieces against independent calculations."""

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest

import multilevel as ml
from multilevel.api import _design
from multilevel.model.build import build_model
from multilevel.model.lkj import lkj_cholesky
from multilevel.model.parametrization import BlockGeometry, block_geometries, build_order
from multilevel.priors.distributions import parse_distribution, prior_variable
from multilevel.priors.table import build_prior_table
from quick_mode import QUICK


def _lkj_log_density(size, eta):
    """Our LKJ Cholesky log density (with Jacobian) as a function of the free values."""
    with pm.Model() as model:
        cholesky = lkj_cholesky("L", size, eta)
    density = model.compile_fn(model.varlogp + model.potentiallogp, mode=QUICK)
    factor = pytensor.function([model["L"]], cholesky, mode=QUICK)
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
         np.log(2) + pm.logp(pm.StudentT.dist(nu=3, mu=0, sigma=2.5), 1.3).eval(mode=QUICK)),
        ("normal(1, 2)", 0.0, 0.5,
         pm.logp(pm.Normal.dist(1, 2), 0.5).eval(mode=QUICK) - np.log(1 - 0.3085375387259869)),
        ("normal(0, 10)", None, -3.0, pm.logp(pm.Normal.dist(0, 10), -3.0).eval(mode=QUICK)),
        ("gamma(2, 0.1)", 1.0, 4.0,
         pm.logp(pm.Gamma.dist(2, 0.1), 4.0).eval(mode=QUICK)
         - np.log(1 - pm.logcdf(pm.Gamma.dist(2, 0.1), 1.0).exp().eval(mode=QUICK))),
        ("exponential(2)", 0.0, 0.3, np.log(2) - 0.6),
    ],
)
def test_bounded_priors_are_truncated(text, lower, value, expected):
    with pm.Model() as model:
        variable = prior_variable("x", parse_distribution(text), lower)
    logp = pm.logp(variable, value).eval(mode=QUICK)
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


def _effect_map(model, names):
    """r of all groups as an affine function of the sampled z's: r(0) and dr/dz, given the rest.

    Returns the model's free value variables, the z variables among them and a function of a
    point giving (r, the Jacobian of r in z).
    """
    values = list(model.value_vars)
    sampled = [v for v in values if v.name.startswith(("z_", "u_"))]
    effects = pt.concatenate([model[f"r_{group}"].flatten() for group in names.groups])
    (effects,) = model.replace_rvs_by_values([effects])
    jacobian = pt.concatenate(
        [pytensor.gradient.jacobian(effects, z, vectorize=True).reshape((effects.shape[0], -1))
         for z in sampled], axis=1)
    function = pytensor.function(values, [effects, jacobian], on_unused_input="ignore",
                                 mode=QUICK)
    return values, sampled, lambda point: function(*[point[v.name] for v in values])


def _log_density_given_effects(design, table, geometries, point, effects):
    """The model's log density at the z's that give ``effects``, less log |dr/dz|."""
    model, names = build_model(design, table, geometries)
    values, sampled, effect_map = _effect_map(model, names)
    full = {**model.initial_point(), **point}
    for z in sampled:
        full[z.name] = np.zeros_like(full[z.name])
    offset, jacobian = effect_map(full)
    solution = np.linalg.solve(jacobian, effects - offset)
    start = 0
    for z in sampled:
        size = full[z.name].size
        full[z.name] = solution[start:start + size].reshape(full[z.name].shape)
        start += size
    sign, log_det = np.linalg.slogdet(jacobian)
    assert sign != 0
    return float(model.compile_logp(mode=QUICK)(full)) - log_det, full


def _brms_form(geometries):
    return [BlockGeometry(np.zeros_like(g.precision)) for g in geometries]


def _random_precision_matrices(shape, rng):
    factors = rng.normal(0, 1.0, shape)
    return factors @ np.swapaxes(factors, 1, 2)


def _random_geometry(geometries, rng):
    return [BlockGeometry(rng.uniform(0, 3, g.precision.shape), g.target, g.population,
                          g.parents,
                          None if g.centring is None else rng.uniform(0, 1, g.centring.shape),
                          None if g.precision_matrix is None
                          else _random_precision_matrices(g.precision_matrix.shape, rng))
            for g in geometries]


@pytest.mark.slow
@pytest.mark.parametrize(("formula", "dataset", "point"), [
    ("Reaction ~ Days + (Days | Subject)", "sleepstudy",
     {"sd_Subject_log__": np.log([20.0, 5.0]), "L_Subject_0": np.array([0.4]),
      "Intercept": 300.0, "b": np.array([9.0])}),
    ("Reaction ~ Days + (Days || Subject)", "sleepstudy",
     {"sd_Subject_log__": np.log([30.0, 2.0]), "Intercept": 290.0}),
    ("strength ~ 1 + (1 | batch/cask)", "pastes",
     {"sd_batch_log__": np.log([1.5]), "sd_batch:cask_log__": np.log([3.0]),
      "Intercept": 61.0}),
    ("y ~ x1 + x2 + (1 + x1 | g) + (1 | h)", "crossed",
     {"sd_g_log__": np.log([1.2, 0.6]), "L_g_0": np.array([0.3]), "sd_h_log__": np.log([0.9]),
      "Intercept": 1.0, "b": np.array([0.5, -0.2])}),
    ("mathach ~ ses * himinty + (ses | school)", "hsb",
     {"sd_school_log__": np.log([2.0, 0.3]), "L_school_0": np.array([-0.8]),
      "Intercept": 12.5, "b": np.array([2.5, -1.8, -0.6])}),
])
def test_parametrisation_changes_only_the_coordinates(formula, dataset, point):
    """At the same parameters and effects r, every parametrisation has the same density.

    The sampled z's are found from r through the model's own map and its Jacobian,
    computed by automatic differentiation; the brms form (zero precision) is the reference.
    """
    data = _crossed_data() if dataset == "crossed" else ml.load_dataset(dataset)
    design = _design(formula, data, "gaussian")
    table = build_prior_table(design)
    rng = np.random.default_rng(3)
    geometries = block_geometries(design)
    assert any(np.any(g.precision) or g.centring is not None for g in geometries)
    total = sum(len(b.levels) * len(b.coefs) for b in design.blocks)
    effects = rng.normal(0, 2.0, total)
    densities = []
    for variant in (_brms_form(geometries), geometries, _random_geometry(geometries, rng)):
        density, full = _log_density_given_effects(design, table, variant, point, effects)
        densities.append(density)
    assert np.ptp(densities) < 1e-6 * max(1.0, abs(densities[0]))


def _crossed_data() -> pd.DataFrame:
    """Two crossed factors, 12 and 5 levels, 20 rows per level of g."""
    rng = np.random.default_rng(11)
    g, h = np.repeat(np.arange(12), 20), rng.integers(0, 5, 240)
    x1, x2 = rng.normal(size=240), rng.normal(size=240)
    y = (1 + 0.5 * x1 - 0.2 * x2 + rng.normal(0, 1.0, 12)[g] + rng.normal(0, 0.5, 12)[g] * x1
         + rng.normal(0, 0.8, 5)[h] + rng.normal(0, 0.5, 240))
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g, "h": h})


def test_crossed_factors_get_fixed_centring_weights():
    design = _design("y ~ x1 + x2 + (1 + x1 | g) + (1 | h)", _crossed_data(), "gaussian")
    by_group, by_h = block_geometries(design)
    # each level's own estimate mixes in the other factor's effects: no per-level centring,
    # but hierarchical centring on the population part of each level's coefficients
    for geometry in (by_group, by_h):
        assert not np.any(geometry.precision)
        assert geometry.population is not None and geometry.target.shape == geometry.precision.shape
    # well-informed levels (20 and 48 rows against residual sd 0.5) are centred, the
    # correlated block with one weight for both coefficients
    assert by_group.centring[0] == by_group.centring[1] > 0.5
    assert by_h.centring[0] > 0.5


@pytest.mark.slow
def test_zero_precision_samples_brms_z(sleepstudy):
    """With no data precision the sampled values are brms's z = L^-1 diag(sd)^-1 r."""
    design = _design("Reaction ~ Days + (Days | Subject)", sleepstudy, "gaussian")
    table = build_prior_table(design)
    sd, raw = np.array([20.0, 5.0]), np.array([0.4])
    point = {"sd_Subject_log__": np.log(sd), "L_Subject_0": raw}
    effects = np.random.default_rng(4).normal(0, 10, (18, 2))
    _, full = _log_density_given_effects(design, table, _brms_form(block_geometries(design)),
                                         point, effects.ravel())
    rho = np.tanh(raw[0])
    cholesky = np.array([[1.0, 0.0], [rho, np.sqrt(1 - rho**2)]])
    z = np.linalg.solve(np.diag(sd) @ cholesky, effects.T).T
    np.testing.assert_allclose(full["z_Subject_0"], z, rtol=1e-8)


def test_geometry_of_reference_designs(sleepstudy, hsb):
    (sleep,) = block_geometries(_design("Reaction ~ Days + (Days | Subject)", sleepstudy,
                                        "gaussian"))
    assert np.all(sleep.precision > 0)
    # each subject's own least-squares line in the block's columns 1 and Days
    subject = sleepstudy[sleepstudy["Subject"] == sleepstudy["Subject"].min()]
    slope, intercept = np.polyfit(subject["Days"], subject["Reaction"], 1)
    np.testing.assert_allclose(sleep.target[0], [intercept, slope], rtol=1e-8)
    np.testing.assert_allclose(sleep.population[0], [[1.0, -4.5], [0.0, 1.0]], atol=1e-12)
    # the joint precision of a subject's line is its Gram matrix over the pooled residual
    # variance: days 0 to 9 correlate the intercept and slope estimates, and each estimate
    # alone (the diagonal precision) is less precise than it is given the other
    gram = np.array([[10.0, 45.0], [45.0, 285.0]])
    noise = gram[0, 0] / sleep.precision_matrix[0, 0, 0]
    np.testing.assert_allclose(sleep.precision_matrix, np.broadcast_to(gram / noise, (18, 2, 2)),
                               rtol=1e-10)
    np.testing.assert_allclose(sleep.precision, 1.0 / np.diagonal(
        np.linalg.inv(sleep.precision_matrix), axis1=1, axis2=2), rtol=1e-10)

    (school,) = block_geometries(_design("mathach ~ ses * himinty + (ses | school)", hsb,
                                         "gaussian"))
    # himinty is constant within a school: it moves the school's intercept, and through
    # ses:himinty its slope
    first = hsb[hsb["school"] == sorted(hsb["school"].unique())[0]]
    himinty = first["himinty"].iloc[0]
    assert school.population[0, 1, 3] == pytest.approx(himinty)
    assert school.population[0, 0, 2] == pytest.approx(himinty - hsb["himinty"].mean())

    pastes = ml.load_dataset("pastes")
    batch, cask = block_geometries(_design("strength ~ 1 + (1 | batch/cask)", pastes,
                                           "gaussian"))
    assert batch.parents == []
    (parent,) = cask.parents
    assert parent.block == 0
    np.testing.assert_allclose(parent.projection, 1.0)
    np.testing.assert_array_equal(parent.index, np.repeat(np.arange(10), 3))

    # written inner first, the cask block still finds the batch it lies in, and the model
    # builds the batch block before it
    pastes["cask_id"] = pastes["batch"].astype(str) + pastes["cask"].astype(str)
    design = _design("strength ~ 1 + (1 | cask_id) + (1 | batch)", pastes, "gaussian")
    inner, outer = block_geometries(design)
    assert outer.parents == [] and [parent.block for parent in inner.parents] == [1]
    assert build_order(design) == [1, 0]

    rats = ml.load_dataset("rats")
    (binomial,) = block_geometries(_design("m | trials(n) ~ 1 + (1 | batch)", rats, "binomial"))
    assert not np.any(binomial.precision)


def test_bad_sampler_settings_are_clear_errors(sleepstudy):
    with pytest.raises(ml.MultilevelError, match="target_accept must lie strictly between"):
        ml.brm("Reaction ~ Days", sleepstudy, target_accept=1.5)
    with pytest.raises(ml.MultilevelError, match="sampler must be one of"):
        ml.brm("Reaction ~ Days", sleepstudy, sampler="stan")
    with pytest.raises(ml.MultilevelError, match="chains must be a positive integer"):
        ml.brm("Reaction ~ Days", sleepstudy, chains=0)
