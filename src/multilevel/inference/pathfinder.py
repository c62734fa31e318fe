"""Multi-path Pathfinder (Zhang, Carpenter, Gelman and Vehtari 2022, JMLR 23(306)).

Each path runs L-BFGS from a random start towards the mode of the unconstrained log density
and, at every iterate, forms the normal whose covariance is L-BFGS's estimate of the inverse
Hessian there (a diagonal plus a low-rank part, from the last few position and gradient
differences) and whose mean is the quasi-Newton step from the iterate. The iterate whose
normal has the largest ELBO, estimated from a few draws, is the path's approximation. The
draws of all paths are then pooled and resampled with Pareto-smoothed importance weights
(ArviZ's ``psislw``), as Stan's multi-path Pathfinder does.

It runs on the JAX log density that NUTS and the other approximations use
(:mod:`.flat_density`), driven by SciPy's L-BFGS-B: pymc-extras' Pathfinder compiles its
sampling functions through PyTensor's C backend, which on a machine that has compiled nothing
yet takes most of a minute before the first fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import pymc as pm
from scipy import linalg, optimize
from scipy.special import logsumexp

from ..errors import MultilevelError
from .flat_density import flat_density

# Stan's defaults: position and gradient differences kept for the inverse Hessian, the
# L-BFGS iterations of a path, and the half-width of the uniform start on the
# unconstrained scale
HISTORY_SIZE = 5
MAX_ITERATIONS = 1000
START_RADIUS = 2.0
# draws of each iterate's normal that estimate its ELBO
ELBO_DRAWS = 10
# at least this many draws per path before resampling
DRAWS_PER_PATH = 1000
# a pair of differences enters the inverse Hessian only with curvature above this
# (relative to the gradient difference's squared length), which keeps it positive definite
CURVATURE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class NormalApproximation:
    """The normal of one iterate: ``mean`` and the covariance ``diag(alpha) + beta @ gamma @
    beta.T``, the compact form of L-BFGS's inverse Hessian (Byrd, Nocedal and Schnabel
    1994)."""

    mean: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    gamma: np.ndarray

    def covariance(self) -> np.ndarray:
        """The covariance as a dense matrix."""
        return np.diag(self.alpha) + self.beta @ self.gamma @ self.beta.T

    def draw(self, standard: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Draws of the normal made from standard normal rows ``standard``, and the log
        density of the normal at each.

        Raises ``numpy.linalg.LinAlgError`` when the covariance is not positive definite.
        """
        size = self.mean.size
        if self.beta.shape[1] >= size:
            factor = np.linalg.cholesky(self.covariance())
            deviations = standard @ factor.T
            log_determinant = 2 * np.sum(np.log(np.diag(factor)))
        else:
            # Algorithm 4 of the paper: with Q R the thin QR decomposition of
            # diag(alpha)^(-1/2) beta and L the Cholesky factor of I + R gamma R', the draws
            # are mean + diag(alpha)^(1/2) (u + Q (L - I) Q' u), never forming the covariance
            root = np.sqrt(self.alpha)
            q, r = np.linalg.qr(self.beta / root[:, None])
            factor = np.linalg.cholesky(np.eye(r.shape[0]) + r @ self.gamma @ r.T)
            projected = standard @ q
            deviations = root * (standard + (projected @ (factor - np.eye(factor.shape[0])).T)
                                 @ q.T)
            log_determinant = np.sum(np.log(self.alpha)) + 2 * np.sum(np.log(np.diag(factor)))
        log_density = -0.5 * (size * np.log(2 * np.pi) + log_determinant
                              + np.sum(standard**2, axis=1))
        return self.mean + deviations, log_density


def normal_approximation(position: np.ndarray, gradient: np.ndarray, steps: np.ndarray,
                         changes: np.ndarray, alpha: np.ndarray) -> NormalApproximation:
    """The normal at an L-BFGS iterate.

    Parameters
    ----------
    position, gradient
        The iterate and the gradient of the log density there.
    steps, changes
        The last position differences and the differences of the objective's gradient (the
        negative log density's), one per column, oldest first.
    alpha
        The diagonal of the initial inverse Hessian.

    Returns
    -------
    NormalApproximation
        Its mean is the quasi-Newton step ``position + H @ gradient``.
    """
    products = steps.T @ changes
    upper = np.triu(products)
    inverse = linalg.solve_triangular(upper, np.eye(upper.shape[0]), lower=False)
    scaled = alpha[:, None] * changes
    middle = inverse.T @ (np.diag(np.diag(products)) + changes.T @ scaled) @ inverse
    zeros = np.zeros_like(upper)
    beta = np.hstack([scaled, steps])
    gamma = np.block([[zeros, -inverse], [-inverse.T, middle]])
    mean = position + alpha * gradient + beta @ (gamma @ (beta.T @ gradient))
    return NormalApproximation(mean, alpha, beta, gamma)


def _updated_diagonal(alpha: np.ndarray, step: np.ndarray, change: np.ndarray) -> np.ndarray:
    """The diagonal of the initial inverse Hessian after one accepted pair (the paper's
    Algorithm 3, after Gilbert and Lemaréchal 1989)."""
    along_change = change @ (alpha * change)
    curvature = change @ step
    along_step = step @ (step / alpha)
    inverse = (along_change / (curvature * alpha) + change**2 / curvature
               - along_change * step**2 / (curvature * along_step * alpha**2))
    return 1 / inverse


def _path(negative, log_densities, start: np.ndarray, draws: int,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One path: ``draws`` draws of its best normal with their log densities under the
    target and under the normal, or None when no iterate gave a finite ELBO."""
    positions, gradients = [], []
    evaluated: dict[bytes, np.ndarray] = {}

    def objective(x):
        value, gradient = negative(x)
        evaluated[x.tobytes()] = gradient
        return value, gradient

    def record(x):
        # the accepted iterate is the line search's last evaluation
        gradient = evaluated.get(x.tobytes())
        if gradient is None:
            gradient = objective(x)[1]
        positions.append(x.copy())
        gradients.append(-gradient)
        evaluated.clear()

    objective(start)
    record(start)
    optimize.minimize(objective, start, jac=True, method="L-BFGS-B", callback=record,
                      options={"maxiter": MAX_ITERATIONS, "maxcor": HISTORY_SIZE})

    best, best_elbo = None, -np.inf
    alpha = np.ones(start.size)
    steps: list[np.ndarray] = []
    changes: list[np.ndarray] = []
    for index, (position, gradient) in enumerate(zip(positions, gradients, strict=True)):
        if index:
            step = position - positions[index - 1]
            change = gradients[index - 1] - gradient
            if step @ change > CURVATURE_TOLERANCE * (change @ change):
                alpha = _updated_diagonal(alpha, step, change)
                steps = (steps + [step])[-HISTORY_SIZE:]
                changes = (changes + [change])[-HISTORY_SIZE:]
        if not steps:
            continue
        try:
            approximation = normal_approximation(position, gradient, np.column_stack(steps),
                                                 np.column_stack(changes), alpha)
            candidates, log_q = approximation.draw(
                rng.standard_normal((ELBO_DRAWS, start.size)))
        except np.linalg.LinAlgError:  # SciPy's is NumPy's class
            continue
        elbo = np.mean(log_densities(candidates) - log_q)
        if np.isfinite(elbo) and elbo > best_elbo:
            best, best_elbo = approximation, elbo
    if best is None:
        return None
    chosen, log_q = best.draw(rng.standard_normal((draws, start.size)))
    return chosen, log_densities(chosen), log_q


def pathfinder_draws(model: pm.Model, var_names: list[str], paths: int, total: int,
                     seed: int) -> dict[str, np.ndarray]:
    """Run ``paths`` Pathfinder paths and resample ``total`` draws from their pooled draws.

    Parameters
    ----------
    model
        The PyMC model.
    var_names
        Variables to return, each a function of the free variables.
    paths
        Number of L-BFGS paths, each from its own random start.
    total
        Number of draws returned.
    seed
        The seed; the same seed gives the same draws.

    Returns
    -------
    dict
        Each of ``var_names`` with a leading axis of ``total`` draws.

    Raises
    ------
    MultilevelError
        When no path found a normal with a finite ELBO.
    """
    import jax

    rng = np.random.default_rng(seed)
    density = flat_density(model, var_names, seed)
    negative = density.objective()
    rows = jax.jit(jax.vmap(lambda flat: density.joint(flat)[0]))

    def log_densities(draws: np.ndarray) -> np.ndarray:
        # in blocks of one size, so that XLA compiles one program
        padded = -len(draws) % ELBO_DRAWS
        blocks = np.concatenate([draws, np.repeat(draws[-1:], padded, axis=0)])
        values = [np.asarray(rows(block))
                  for block in blocks.reshape(-1, ELBO_DRAWS, draws.shape[1])]
        values = np.concatenate(values)[:len(draws)]
        return np.where(np.isfinite(values), values, -np.inf)

    per_path = max(DRAWS_PER_PATH, -(-2 * total // paths))
    results = []
    for _ in range(paths):
        start = density.start + rng.uniform(-START_RADIUS, START_RADIUS, density.start.size)
        result = _path(negative, log_densities, start, per_path, rng)
        if result is not None:
            results.append(result)
    if not results:
        raise MultilevelError(
            "Pathfinder failed: no path found a normal approximation with a finite ELBO. "
            "Try algorithm='laplace' or 'meanfield', or NUTS.")
    pooled = np.concatenate([draws for draws, _, _ in results])
    log_weights = np.concatenate([log_p - log_q for _, log_p, log_q in results])
    finite = np.isfinite(log_weights)
    pooled, log_weights = pooled[finite], log_weights[finite]
    smoothed, _ = az.psislw(log_weights)
    weights = np.exp(smoothed - logsumexp(smoothed))
    # without replacement where enough draws carry weight, so that no draw repeats
    replace = np.count_nonzero(weights) < total
    chosen = pooled[rng.choice(len(pooled), size=total, replace=replace, p=weights)]
    return dict(zip(var_names, density.quantities(chosen), strict=True))
