"""The Gaussian likelihood from cross-products against the rows' own normal densities."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from multilevel.api import _design
from multilevel.inference.settings import SamplerSettings
from multilevel.model.build import build_model
from multilevel.model.crossproducts import cross_products_apply, gaussian_cross_products
from multilevel.priors.table import build_prior_table
from quick_mode import QUICK


def _data(rows: int, seed: int = 3, location: float = 3.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({
        "g": rng.integers(0, 12, rows).astype(str),
        "h": rng.integers(0, 6, rows).astype(str),
        "x": rng.normal(size=rows),
        "z": rng.normal(size=rows),
        "w": rng.uniform(0.5, 2.0, rows),
        "o": rng.normal(size=rows),
    })
    data["y"] = location + data.x - 0.5 * data.z + rng.normal(size=rows)
    return data


def _compile(model, names: list[str]):
    """The named quantities as a function of a point of the model's free values."""
    outputs = model.replace_rvs_by_values([model[name] for name in names])
    return model.compile_fn(outputs, inputs=model.value_vars, on_unused_input="ignore",
                            mode=QUICK)


def _expected_log_lik(design, point: dict) -> float:
    """Sum over rows of w * log N(y | eta, sigma), eta built from the design in NumPy."""
    eta = np.zeros(design.nobs)
    if design.has_intercept:
        eta += point["b_Intercept"]
    if design.b_names:
        eta += design.X @ point["b"]
    for block in design.blocks:
        coefs = design.group_coefs(block.group)
        columns = [coefs.index(c) for c in block.coefs]
        effects = point[f"r_{block.group}"][:, columns]
        eta += np.sum(effects[block.index] * block.values, axis=1)
    if design.offset is not None:
        eta += design.offset
    weights = np.ones(design.nobs) if design.weights is None else design.weights
    return float(np.sum(weights * stats.norm.logpdf(design.y, eta, point["sigma"])))


@pytest.mark.parametrize("formula", [
    "y ~ x * z + (x | g)",
    "y ~ x + (1 | g) + (0 + x || g) + (1 | h)",
    "y ~ x + (x | g) + (1 | g:h)",
    "y | weights(w) ~ x + offset(o) + (1 | g)",
    "y ~ 0 + x + (1 | g)",
    "y ~ 0 + (1 | g)",
])
def test_cross_product_likelihood_equals_the_rows(formula):
    design = _design(formula, _data(2000), "gaussian")
    assert gaussian_cross_products(design) is not None
    model, names = build_model(design, build_prior_table(design))
    assert not model.observed_RVs
    quantities = [name for name in ("b_Intercept", "b", *[f"r_{g}" for g in names.groups],
                                    "sigma") if name in model.named_vars]
    evaluate = _compile(model, ["y_loglik", *quantities])
    rng = np.random.default_rng(7)
    start = model.initial_point()
    for _ in range(4):
        point = {key: value + rng.normal(0, 0.5, np.shape(value)) for key, value in start.items()}
        log_lik, *values = evaluate(point)
        expected = _expected_log_lik(design, dict(zip(quantities, values, strict=True)))
        assert log_lik == pytest.approx(expected, rel=1e-10, abs=1e-8)


def test_large_response_values_keep_their_precision():
    # y around 1e6 with unit noise: y'y is 1e15 times the residual sum of squares' scale
    design = _design("y ~ x + (1 | g)", _data(3000, location=1e6), "gaussian")
    model, _ = build_model(design, build_prior_table(design))
    evaluate = _compile(model, ["y_loglik", "b_Intercept", "b", "r_g", "sigma"])
    point = model.initial_point()
    point["Intercept"] = np.array(1e6 + 0.3)
    log_lik, intercept, b, r, sigma = evaluate(point)
    expected = _expected_log_lik(design, {"b_Intercept": intercept, "b": b, "r_g": r,
                                          "sigma": sigma})
    assert log_lik == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(("formula", "family"), [
    ("y ~ x + (1 | g)", "student"),
    ("y ~ x + (1 | g)", "lognormal"),
])
def test_other_families_keep_the_rows(formula, family):
    data = _data(500)
    data["y"] = np.exp(data.y / 3)
    design = _design(formula, data, family)
    assert gaussian_cross_products(design) is None
    model, _ = build_model(design, build_prior_table(design))
    assert [rv.name for rv in model.observed_RVs] == ["y"]


def test_many_crossed_levels_keep_the_rows():
    # 300 x 200 crossed levels have a dense product of 60,000 entries for 1,000 rows
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"a": rng.integers(0, 300, 1000).astype(str),
                         "c": rng.integers(0, 200, 1000).astype(str),
                         "y": rng.normal(size=1000)})
    design = _design("y ~ 1 + (1 | a) + (1 | c)", data, "gaussian")
    assert gaussian_cross_products(design) is None
    single = _design("y ~ 1 + (1 | a)", data, "gaussian")
    assert gaussian_cross_products(single) is not None


def test_auto_sampler_counts_the_rows_the_likelihood_works_through():
    big = _data(30_000)
    gaussian = _design("y ~ x + (1 | g)", big, "gaussian")
    big["y"] = (big.y > 3).astype(int)
    bernoulli = _design("y ~ x + (1 | g)", big, "bernoulli")
    assert cross_products_apply(gaussian) and not cross_products_apply(bernoulli)
    auto = SamplerSettings()
    assert auto.for_data(0).sampler == "numpyro"
    assert auto.for_data(bernoulli.nobs).sampler == "nutpie"
    assert SamplerSettings(sampler="pymc").for_data(0).sampler == "pymc"
