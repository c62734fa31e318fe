"""A group term's operation and its adjoint equal NumPy's indexing on every backend."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from multilevel.model.group_gather import GroupGather, group_term, register_jax, register_numba

LEVELS = 7


# one column (an intercept-only term) and two (an intercept and a slope)
@pytest.fixture(scope="module", params=[1, 2], ids=["one_column", "two_columns"])
def term(request):
    rng = np.random.default_rng(3)
    rows = 50
    index = rng.integers(0, LEVELS, rows)
    index[:LEVELS - 1] = np.arange(LEVELS - 1)  # the last level keeps no rows
    index[index == LEVELS - 1] = 0
    values = np.column_stack([np.ones(rows), rng.normal(size=rows)])[:, :request.param]
    values[:, 0] += rng.normal(scale=0.1, size=rows)  # not all ones: values enter each row
    effects = rng.normal(size=(LEVELS, request.param))
    weights = rng.normal(size=rows)
    return effects, index, values, weights


def _expected(effects, index, values, weights):
    contribution = (effects[index] * values).sum(axis=1)
    gradient = np.zeros_like(effects)
    np.add.at(gradient, index, weights[:, None] * values)
    return contribution, gradient


def _compiled(mode, width):
    effects, index, values, weights = (pt.matrix("effects"), pt.lvector("index"),
                                       pt.matrix("values"), pt.vector("weights"))
    contribution = group_term(effects, index, values, LEVELS, width)
    gradient = pytensor.grad(pt.sum(weights * contribution), effects)
    return pytensor.function([effects, index, values, weights], [contribution, gradient],
                             mode=mode)


@pytest.mark.parametrize("mode", [
    "FAST_COMPILE",
    "FAST_RUN",
    pytest.param("NUMBA", marks=pytest.mark.slow),
    pytest.param("JAX", marks=pytest.mark.slow),
])
def test_the_term_and_its_gradient_equal_numpys(term, mode):
    if mode == "JAX":
        register_jax()
    if mode == "NUMBA":
        register_numba()
    contribution, gradient = _compiled(mode, term[2].shape[1])(*term)
    expected_contribution, expected_gradient = _expected(*term)
    np.testing.assert_allclose(contribution, expected_contribution, rtol=1e-12)
    # a level without rows gets a zero gradient, and the gradient keeps every level's row
    assert gradient.shape == term[0].shape
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-12, atol=1e-15)
    assert np.all(gradient[LEVELS - 1] == 0)


def test_the_gradient_of_the_adjoint_is_the_term(term):
    effects, index, values, _ = term
    pytensor.gradient.verify_grad(
        lambda e, v: GroupGather(LEVELS, values.shape[1])(e, index, v), [effects, values],
        rng=np.random.default_rng(0), mode="FAST_COMPILE")
    # second derivatives pass through the adjoint back to the term
    e = pt.matrix("e")
    first = pytensor.grad(pt.sum(pt.sqr(group_term(e, index, values, LEVELS, values.shape[1]))),
                          e)
    second = pytensor.grad(pt.sum(first * effects), e)
    # the sum of squares has Hessian 2 Z'Z, so the directional second derivative is 2 Z'Z e
    width = values.shape[1]
    design = np.zeros((len(index), LEVELS * width))
    for row, level in enumerate(index):
        design[row, level * width:(level + 1) * width] = values[row]
    expected = (2 * design.T @ design @ effects.ravel()).reshape(LEVELS, width)
    # Python's implementations: the compiled ones have a test of their own above
    directional = pytensor.function([e], second, mode="FAST_COMPILE")(effects)
    np.testing.assert_allclose(directional, expected, rtol=1e-10)


def test_values_of_another_width_than_the_operations_are_refused(term):
    effects, index, values, _ = term
    with pytest.raises(ValueError, match="width 3 got values of width"):
        GroupGather(LEVELS, 3)(effects, index, pt.constant(values))
