"""The model as JAX functions of one flat vector of its free variables, for the
approximations that work on the unconstrained scale (ADVI, Pathfinder, Laplace)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pymc as pm

from .numpyro import jax_function, unflattener
from .starting_points import initial_points


@dataclass(frozen=True)
class FlatDensity:
    """``joint(flat)`` gives the log density (Jacobians included) and then the requested
    variables at the unconstrained point ``flat``; ``start`` is the model's initial point,
    flattened, without jitter."""

    joint: Callable
    start: np.ndarray

    def objective(self) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """The negative log density and its gradient at a point, as SciPy's minimisers take
        them (``jac=True``), compiled once for every call of the function returned."""
        import jax

        value_and_gradient = jax.jit(jax.value_and_grad(lambda flat: -self.joint(flat)[0]))

        def negative(flat):
            value, gradient = value_and_gradient(flat)
            return float(value), np.asarray(gradient, dtype=float)

        return negative

    def quantities(self, draws) -> list[np.ndarray]:
        """The requested variables at each row of ``draws`` (one program for all rows)."""
        import jax

        values = jax.jit(jax.vmap(lambda flat: self.joint(flat)[1:]))(draws)
        return [np.asarray(value) for value in jax.device_get(values)]


def flat_density(model: pm.Model, var_names: list[str], seed: int) -> FlatDensity:
    """The log density of ``model`` and the variables ``var_names`` as functions of one flat
    vector, compiled by XLA where they are called (the data folded in).

    Parameters
    ----------
    model
        The PyMC model.
    var_names
        Variables that ``joint`` returns after the log density.
    seed
        Seed of the initial point (which has no jitter, so it matters only for variables
        whose support point is random).

    Returns
    -------
    FlatDensity
    """
    import jax

    values = list(model.value_vars)
    outputs = model.replace_rvs_by_values([model.logp(), *[model[name] for name in var_names]])
    function = jax.jit(jax_function(values, outputs))
    point, = initial_points(model, [seed], tuple(value.name for value in values))
    unflatten = unflattener([np.shape(point[value.name]) for value in values])
    start = np.concatenate([np.ravel(point[value.name]) for value in values]).astype(float)

    def joint(flat):
        return function(*unflatten(flat))

    return FlatDensity(joint, start)
