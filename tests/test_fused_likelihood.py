"""The fused likelihood (one pass over the rows for the likelihood and the group terms) has
the log density and gradient of the model it replaces, for each kind of family, predictor
and parameter it takes."""

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
import pytest

import multilevel as ml
from multilevel.api import _design
from multilevel.model import group_gather, row_likelihood
from multilevel.model.build import build_model
from multilevel.model.fused_likelihood import row_density
from multilevel.model.row_likelihood import RowLikelihood
from multilevel.priors.table import build_prior_table
from quick_mode import QUICK

# each case compiles its model's numba code, on the worker that compiles the group terms'
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_group_gather")]


@pytest.fixture(scope="module")
def crossed() -> pd.DataFrame:
    """Crossed factors with more level pairs than rows, so that no cross-products apply."""
    rng = np.random.default_rng(3)
    rows = 240
    g, h = rng.integers(0, 30, rows), rng.integers(0, 25, rows)
    x = rng.normal(size=rows)
    eta = 0.3 + 0.4 * x + rng.normal(0, 0.5, 30)[g] + rng.normal(0, 0.3, 25)[h]
    trials = rng.integers(3, 9, rows)
    return pd.DataFrame({
        "y": eta + rng.normal(0, 0.8, rows), "x": x, "offset_x": rng.normal(0, 0.1, rows),
        "count": rng.poisson(np.exp(eta)), "k": rng.binomial(trials, 1 / (1 + np.exp(-eta))),
        "n": trials, "yes": rng.binomial(1, 1 / (1 + np.exp(-eta))),
        "w": rng.uniform(0.5, 2.0, rows),
        "amount": np.where(rng.uniform(size=rows) < 0.3, 0.0,
                           np.exp(eta + rng.normal(0, 0.5, rows))),
        "rating": np.digitize(eta + rng.logistic(size=rows), [-0.5, 0.5, 1.5]) + 1,
        "g": [f"g{k}" for k in g], "h": [f"h{k}" for k in h]})


CASES = {
    "gaussian, crossed, slope": ("y ~ x + (1 + x | g) + (1 | h)", "gaussian", {}),
    "student, no intercept, offset": ("y ~ 0 + x + offset(offset_x) + (1 | g) + (1 | h)",
                                      "student", {}),
    "gaussian, predicted sigma": ("y ~ x + (1 | g) + (1 | h)", "gaussian",
                                  {"sigma": "~ x + (1 | g)"}),
    "binomial with trials": ("k | trials(n) ~ x + (1 | g) + (x | h)", "binomial", {}),
    "weighted poisson": ("count | weights(w) ~ x + (1 | g) + (1 | h)", "poisson", {}),
    # a mixture of two parts weighted by a softmax over them
    "zero-inflated negbinomial": ("count ~ x + (1 | g) + (1 | h)", "zero_inflated_negbinomial",
                                  {}),
    # two parts chosen per row by whether y is 0, whose derivatives PyTensor writes into a
    # short vector
    "hurdle lognormal": ("amount ~ x + (1 | g) + (1 | h)", "hurdle_lognormal", {}),
}


def _functions(formula, family, dpars, data):
    design = _design(ml.bf(formula, **dpars) if dpars else formula, data, family)
    table = build_prior_table(design)
    models = [build_model(design, table, fused=fused)[0] for fused in (False, True)]
    return design, models


def _log_density_and_gradient(model, mode):
    values = model.value_vars
    logp = model.logp()
    return pytensor.function(values, [logp, *pt.grad(logp, values)], mode=mode)


def _fused_nodes(function):
    return [node for node in function.maker.fgraph.apply_nodes
            if isinstance(node.op, RowLikelihood)]


@pytest.mark.parametrize("case", CASES)
def test_the_fused_model_has_the_unfused_models_density_and_gradient(case, crossed):
    design, (unfused, fused) = _functions(*CASES[case], crossed)
    assert [v.name for v in fused.value_vars] == [v.name for v in unfused.value_vars]
    reference = _log_density_and_gradient(unfused, QUICK)
    # the operation's perform runs its compiled loop, as its numba implementation does
    # (compared below)
    functions = [_log_density_and_gradient(fused, QUICK)]
    assert len(_fused_nodes(functions[0])) == 1
    rng = np.random.default_rng(11)
    start = fused.initial_point()
    for _ in range(2):
        point = [np.asarray(start[v.name]) + rng.normal(0, 0.3, np.shape(start[v.name]))
                 for v in fused.value_vars]
        expected = reference(*point)
        for function in functions:
            for got, want in zip(function(*point), expected, strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_the_numba_implementation_equals_perform(crossed):
    group_gather.register_numba()
    row_likelihood.register_numba()
    _, (_, fused) = _functions(*CASES["gaussian, crossed, slope"], crossed)
    node = fused["y_loglik"].owner
    assert isinstance(node.op, RowLikelihood)
    point = fused.initial_point()
    point = [point[v.name] + 0.2 for v in fused.value_vars]
    outputs = fused.replace_rvs_by_values(node.outputs)
    numba, python = (pytensor.function(fused.value_vars, outputs, mode=mode,
                                       on_unused_input="ignore") for mode in ("NUMBA", QUICK))
    assert len(_fused_nodes(numba)) == 1
    for got, want in zip(numba(*point), python(*point), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_group_terms_of_a_predicted_parameter_stay_outside_it(crossed):
    _, (_, fused) = _functions(*CASES["gaussian, predicted sigma"], crossed)
    function = _log_density_and_gradient(fused, QUICK)
    (node,) = _fused_nodes(function)
    # sigma varies by row; the mean's two intercept columns are all ones, read from nowhere
    assert node.op.aux_rows == (True,)
    assert node.op.unit_columns == (True, True)
    assert node.op.intercept and node.op.population_columns == 1


def test_an_ordinal_model_keeps_the_unfused_likelihood(crossed):
    # a row's density reads the threshold its category picks out of the thresholds' vector
    assert row_density(ml.get_family("cumulative"), False) is None
    _, (_, fused) = _functions("rating ~ x + (1 | g) + (1 | h)", "cumulative", {}, crossed)
    assert [rv.name for rv in fused.observed_RVs] == ["y"]


def test_nutpie_and_pymc_fits_get_the_fused_model_and_jax_samplers_do_not(crossed, monkeypatch):
    from multilevel import api

    built = []

    def recorded(*args, **kwargs):
        built.append(kwargs.get("fused"))
        raise RuntimeError("stop before sampling")

    monkeypatch.setattr(api, "build_model", recorded)
    for sampler in ("nutpie", "pymc", "numpyro"):
        with pytest.raises(RuntimeError, match="stop before sampling"):
            ml.brm("y ~ x + (1 | g) + (1 | h)", crossed, sampler=sampler, progressbar=False)
    assert built == [True, True, False]
