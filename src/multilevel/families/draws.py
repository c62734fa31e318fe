"""New observations of the families whose PyMC distribution does not draw them, or not
fast enough: the hurdles' and the closed-form densities' (families/closed_form.py), as
``(rng, mu, aux, trials) -> draws`` on arrays of draws x observations."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import gamma as gamma_function

from .closed_form import skew_normal_shape

# --- new observations of the hurdle families ---------------------------------------------------
# PyMC draws a hurdle's positive part by rejection, in a loop that allocates max_n_steps times
# the draws' shape (tens of gigabytes for draws x rows). Here zeros are redrawn _REDRAWS times,
# and the inverse distribution function (exact, a hundred times slower) gives those left.
_REDRAWS = 5


def _hurdle(rng, hu, positive):
    return np.where(rng.uniform(size=positive.shape) < hu, 0, positive)


def _above_zero(rng, counts):
    """Draws of a count distribution (a frozen SciPy distribution of arrays) given that they
    are positive."""
    parameters = np.broadcast_arrays(*counts.args)
    shape = parameters[0].shape
    values = counts.dist.rvs(*parameters, size=shape, random_state=rng)
    for _ in range(_REDRAWS):
        zero = values == 0
        if not zero.any():
            break
        values[zero] = counts.dist.rvs(*(p[zero] for p in parameters),
                                       size=int(zero.sum()), random_state=rng)
    zero = values == 0
    if zero.any():
        rest = counts.dist(*(p[zero] for p in parameters))
        values[zero] = np.maximum(rest.ppf(rng.uniform(rest.cdf(0), 1.0)), 1)
    return values.astype(float)


def hurdle_poisson_draws(rng, mu, aux, trials):
    return _hurdle(rng, aux["hu"], _above_zero(rng, stats.poisson(mu)))


def hurdle_negbinomial_draws(rng, mu, aux, trials):
    shape = aux["shape"]
    return _hurdle(rng, aux["hu"], _above_zero(rng, stats.nbinom(shape, shape / (shape + mu))))


def hurdle_lognormal_draws(rng, mu, aux, trials):
    return _hurdle(rng, aux["hu"], np.exp(rng.normal(mu, aux["sigma"])))


def zero_inflated_beta_draws(rng, mu, aux, trials):
    phi = aux["phi"]
    return _hurdle(rng, aux["zi"], rng.beta(mu * phi, (1 - mu) * phi))


def zero_inflated_beta_binomial_draws(rng, mu, aux, trials):
    phi = aux["phi"]
    probability = rng.beta(mu * phi, (1 - mu) * phi)
    successes = rng.binomial(np.rint(trials).astype(np.int64), probability)
    return _hurdle(rng, aux["zi"], successes).astype(float)


def zero_one_inflated_beta_draws(rng, mu, aux, trials):
    phi = aux["phi"]
    proportions = rng.beta(mu * phi, (1 - mu) * phi)
    ends = (rng.uniform(size=proportions.shape) < aux["coi"]).astype(float)
    return np.where(rng.uniform(size=proportions.shape) < aux["zoi"], ends, proportions)


def shifted_lognormal_draws(rng, mu, aux, trials):
    return aux["ndt"] + np.exp(rng.normal(mu, aux["sigma"]))


def frechet_draws(rng, mu, aux, trials):
    # the inverse of the cdf exp(-(y / scale)^-nu) at a uniform draw
    nu = aux["nu"]
    scale = mu / gamma_function(1 - 1 / nu)
    return scale * (-np.log(rng.uniform(size=np.shape(mu)))) ** (-1 / nu)


def skew_normal_draws(rng, mu, aux, trials):
    # a skew normal is delta |u0| + sqrt(1 - delta^2) u1 for standard normals u0, u1
    delta, omega = skew_normal_shape(aux["sigma"], aux["alpha"])
    standard = (delta * np.abs(rng.standard_normal(np.shape(mu)))
                + np.sqrt(1 - delta**2) * rng.standard_normal(np.shape(mu)))
    return mu + omega * (standard - delta * np.sqrt(2 / np.pi))


def exgaussian_draws(rng, mu, aux, trials):
    beta = aux["beta"]
    return rng.normal(mu - beta, aux["sigma"]) + rng.exponential(beta)
