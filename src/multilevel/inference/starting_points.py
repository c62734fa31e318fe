"""Where the chains start: PyMC's support points with uniform jitter; where the log density
or its gradient is not finite there, starting values drawn again, up to Stan's number of
times: as Stan draws them, and nearer and nearer the support point.

A model whose link does not keep the family's parameters valid (a gamma or Poisson mean
through an inverse or identity link) has starting points where the log density is -inf; a
chain started there would never move.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
from pymc.initial_point import make_initial_point_expression
from pytensor.compile.function import function
from pytensor.compile.mode import Mode

from ..errors import MultilevelError

# starting points drawn for a chain before giving up, as Stan's
MAX_ATTEMPTS = 100


class StartingPoints:
    """Each free variable's support point, transformed, with uniform(-1, 1) jitter, as PyMC's
    initial points; the variables named in ``unjittered`` start at their support point, those
    ``starts`` names at the value it gives them.

    PyMC compiles its jittered initial-point function through the C linker, which imports
    setuptools and loads a compiled module per operation (half a second); the support points
    are evaluated once here by Python's own implementations of the operations and the jitter
    drawn with NumPy.
    """

    def __init__(self, model: pm.Model, unjittered: tuple[str, ...] = (),
                 starts: tuple[tuple[str, float], ...] = ()):
        strategies = {**model.rvs_to_initial_values,
                      **{model[name]: np.asarray(value, dtype=float) for name, value in starts}}
        values = make_initial_point_expression(
            free_rvs=model.free_RVs, rvs_to_transforms=model.rvs_to_transforms,
            initval_strategies=strategies, return_transformed=True)
        support = function([], values, mode=Mode(linker="py", optimizer="fast_compile"))()
        self.names = [v.name for v in model.value_vars]
        self.support = dict(zip(self.names, support, strict=True))
        self.jittered = {name: name not in unjittered for name in self.names}

    def point(self, seed) -> dict[str, np.ndarray]:
        """A starting point, its jitter drawn from ``seed``."""
        generator = np.random.default_rng(seed)
        return {name: (value + (generator.uniform(-1, 1, np.shape(value))
                                if self.jittered[name] else 0.0)).astype(np.asarray(value).dtype)
                for name, value in self.support.items()}

    def again(self, seed, attempt: int) -> np.ndarray:
        """The ``attempt``-th starting point after the first, as the one vector NUTS moves
        (the free variables in order).

        Odd attempts draw as Stan does, each jittered coordinate uniform on (-2, 2) of the
        unconstrained scale; even ones jitter the support point less and less, from 1 to
        0.01 by the last attempt, so that a model valid at its support point (a mean at its
        prior's location) starts near it where wider draws keep failing.
        """
        generator = np.random.default_rng(seed)
        radius = 0.01 ** (attempt / MAX_ATTEMPTS)
        parts = []
        for name, value in self.support.items():
            shape = np.shape(value)
            if not self.jittered[name]:
                parts.append(np.asarray(value))
            elif attempt % 2:
                parts.append(generator.uniform(-2, 2, shape))
            else:
                parts.append(value + generator.uniform(-radius, radius, shape))
        return np.concatenate([np.ravel(part) for part in parts]).astype(float)


def initial_points(model: pm.Model, seeds, unjittered: tuple[str, ...] = ()
                   ) -> list[dict[str, np.ndarray]]:
    """One starting point per seed (:class:`StartingPoints`)."""
    starts = StartingPoints(model, unjittered)
    return [starts.point(int(seed)) for seed in seeds]


def finite_start(potential_energy, gradient) -> np.ndarray:
    """Whether a chain (each chain, for stacked states) may start where its potential energy
    and gradient were computed: both finite."""
    potential_energy, gradient = np.asarray(potential_energy), np.asarray(gradient)
    return np.isfinite(potential_energy) & np.all(np.isfinite(gradient), axis=-1)


def start_error(chain: int | None) -> MultilevelError:
    """The error when every starting point tried has a log density or gradient that is not
    finite."""
    which = "any chain" if chain is None else f"chain {chain + 1}"
    return MultilevelError(
        f"No starting point for {which} among {MAX_ATTEMPTS} tried (PyMC's support point "
        "with jitter, Stan's uniform(-2, 2) on the unconstrained scale, and points ever "
        "nearer the support point) has a finite log density and gradient. Check that the "
        "link keeps the family's parameters valid (an inverse or identity link can make a "
        "gamma or Poisson mean negative), and that the priors are proper where the data "
        "cannot identify a parameter.")
