"""Pathfinder's normal approximations: their draws have the covariance and log density they
report, and on a normal target the whole algorithm returns that normal."""

import numpy as np
import pymc as pm
import pytest
from scipy import stats

from multilevel.inference.pathfinder import normal_approximation, pathfinder_draws


def _quadratic_history(size: int, pairs: int, seed: int):
    """Position and gradient differences of a quadratic objective with Hessian ``hessian``."""
    rng = np.random.default_rng(seed)
    root = rng.normal(size=(size, size))
    hessian = root @ root.T + size * np.eye(size)
    steps = rng.normal(size=(size, pairs))
    return hessian, steps, hessian @ steps, rng


@pytest.mark.parametrize(("size", "pairs"), [(9, 3), (4, 3)], ids=["low_rank", "dense"])
def test_draws_have_the_reported_density_and_covariance(size, pairs):
    hessian, steps, changes, rng = _quadratic_history(size, pairs, seed=size)
    alpha = rng.uniform(0.05, 0.5, size)
    position, gradient = rng.normal(size=size), rng.normal(size=size)
    approximation = normal_approximation(position, gradient, steps, changes, alpha)
    covariance = approximation.covariance()
    # L-BFGS's inverse Hessian satisfies the secant equation of the latest pair
    np.testing.assert_allclose(covariance @ changes[:, -1], steps[:, -1], rtol=1e-8)
    # and its mean is the quasi-Newton step from the iterate
    np.testing.assert_allclose(approximation.mean, position + covariance @ gradient, rtol=1e-8)
    draws, log_density = approximation.draw(rng.standard_normal((200_000, size)))
    expected = stats.multivariate_normal(approximation.mean, covariance).logpdf(draws[:50])
    np.testing.assert_allclose(log_density[:50], expected, rtol=1e-8)
    # each entry of a sample covariance has Monte Carlo sd sqrt((s_ii s_jj + s_ij^2) / n)
    sample = np.cov(draws, rowvar=False)
    variances = np.diag(covariance)
    error = np.sqrt((np.outer(variances, variances) + covariance**2) / len(draws))
    assert np.all(np.abs(sample - covariance) < 5 * error)


def test_a_normal_target_gives_back_its_normal():
    mean = np.array([1.0, -2.0, 0.5])
    covariance = np.array([[1.0, 0.6, 0.0], [0.6, 2.0, -0.4], [0.0, -0.4, 0.5]])
    with pm.Model() as model:
        pm.MvNormal("x", mu=mean, cov=covariance)
    total = 2000
    draws = pathfinder_draws(model, ["x"], paths=2, total=total, seed=5)["x"]
    assert draws.shape == (total, 3)
    # draws resampled without replacement from twice as many independent ones: at least
    # half as informative as independent draws
    sd = np.sqrt(np.diag(covariance))
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 5 * sd / np.sqrt(total / 2))
    # the sd of a sample sd is about sd / sqrt(2 n)
    assert np.all(np.abs(draws.std(axis=0) / sd - 1) < 5 / np.sqrt(total))
    again = pathfinder_draws(model, ["x"], paths=2, total=total, seed=5)["x"]
    np.testing.assert_array_equal(again, draws)
