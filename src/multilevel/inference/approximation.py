"""Approximations of the posterior for data that outgrow NUTS: ADVI, Pathfinder, Laplace."""

from __future__ import annotations

import arviz as az
import numpy as np
import pymc as pm
from scipy import optimize

from ..errors import MultilevelError
from .flat_density import flat_density
from .nuts import without_library_notices
from .pathfinder import pathfinder_draws
from .settings import SamplerSettings
from .variational import variational_draws


def _laplace_draws(model: pm.Model, var_names: list[str], total: int,
                   seed: int) -> dict[str, np.ndarray]:
    """Normal approximation at the mode of the unconstrained density, Jacobian included.

    With the Jacobian (as Stan's ``laplace``), the mode keeps standard deviations away from
    zero, where the mode of the constrained density would collapse. A collapsed Gaussian
    model has no group-level effects here, so the mode is that of the marginal posterior of
    its sds; in the full form the joint mode overstates them
    (:func:`multilevel.model.collapsed.resolve_parametrization`).
    """
    rng = np.random.default_rng(seed)
    density = flat_density(model, var_names, seed)
    negative = density.objective()
    result = optimize.minimize(negative, density.start, jac=True, method="L-BFGS-B",
                               options={"maxiter": 20_000})
    if not np.all(np.isfinite(result.x)):
        raise MultilevelError("The Laplace approximation found no finite posterior mode.")
    mode, size = result.x, result.x.size
    # the Hessian by central differences of the exact gradient
    step = 1e-5 * np.maximum(1.0, np.abs(mode))
    hessian = np.empty((size, size))
    for k in range(size):
        shift = np.zeros(size)
        shift[k] = step[k]
        hessian[k] = (negative(mode + shift)[1] - negative(mode - shift)[1]) / (2 * step[k])
    hessian = (hessian + hessian.T) / 2
    try:
        cholesky = np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        raise MultilevelError(
            "The Laplace approximation failed: the posterior's curvature at its mode is not "
            "positive definite (the mode may lie on a boundary). Try algorithm='pathfinder' "
            "or 'meanfield', or NUTS."
        ) from None
    # x = mode + H^{-1/2} z through the Cholesky factor of the precision
    standard = rng.standard_normal((total, size))
    draws = mode + np.linalg.solve(cholesky.T, standard.T).T
    return dict(zip(var_names, density.quantities(draws), strict=True))


def run_approximation(model: pm.Model, var_names: list[str], settings: SamplerSettings,
                      seed: int) -> az.InferenceData:
    """Fit an approximation of the posterior and return ``chains * draws`` draws from it.

    ``meanfield`` and ``fullrank`` are ADVI (a diagonal or full-covariance normal on the
    unconstrained scale, fitted by numpyro's SVI: :mod:`.variational`), ``pathfinder`` is
    multi-path Pathfinder with Pareto-smoothed importance resampling (:mod:`.pathfinder`),
    ``laplace`` a normal at the mode of the unconstrained posterior with the inverse Hessian
    as covariance.
    """
    with without_library_notices():
        return _approximate(model, var_names, settings, seed)


def _approximate(model: pm.Model, var_names: list[str], settings: SamplerSettings,
                 seed: int) -> az.InferenceData:
    total = settings.chains * settings.draws
    progress = settings.progressbar
    dims = {name: list(model.named_vars_to_dims.get(name, ())) for name in var_names}
    coords = {dim: list(model.coords[dim]) for names in dims.values() for dim in names}
    if settings.algorithm == "laplace":
        values = _laplace_draws(model, var_names, total, seed)
    elif settings.algorithm in ("meanfield", "fullrank"):
        values = variational_draws(model, var_names, settings.algorithm, total, seed, progress)
    else:
        values = pathfinder_draws(model, var_names, settings.chains, total, seed)
    return az.from_dict(posterior={name: value[None] for name, value in values.items()},
                        dims=dims, coords=coords)
