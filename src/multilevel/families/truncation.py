"""The means of truncated responses (brms's ``trunc()``), for ``posterior_epred()``.

brms's are closed forms for continuous families and sums over the values within the bounds
for counts; the same are written here with SciPy. Each family's function takes the mean
``mu``, the family's other parameters ``aux``, the trials and each row's bounds (None for an
open side), all broadcast to draws x rows.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats


def _open(lower, upper, shape):
    lower = np.full(shape, -np.inf) if lower is None else np.broadcast_to(lower, shape)
    upper = np.full(shape, np.inf) if upper is None else np.broadcast_to(upper, shape)
    return lower, upper


def normal_mean(mu, sigma, lower, upper):
    """The mean of a normal(mu, sigma) truncated to (lower, upper)."""
    lower, upper = _open(lower, upper, np.shape(mu))
    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    return mu + sigma * _normal_ratio(a, b)


def _normal_ratio(a, b):
    """(phi(a) - phi(b)) / (Phi(b) - Phi(a)), from log-probabilities so that the tails keep
    their precision."""
    log_mass = _log_diff(special.log_ndtr(b), special.log_ndtr(a))
    # the same mass from the upper tail where both bounds lie above zero
    upper_tail = a > 0
    log_mass = np.where(upper_tail, _log_diff(special.log_ndtr(-a), special.log_ndtr(-b)),
                        log_mass)
    with np.errstate(over="ignore", invalid="ignore"):
        return (np.exp(stats.norm.logpdf(a) - log_mass)
                - np.exp(stats.norm.logpdf(b) - log_mass))


def _log_diff(log_high, log_low):
    with np.errstate(divide="ignore", invalid="ignore"):
        return log_high + np.log1p(-np.exp(log_low - log_high))


def lognormal_mean(mu, sigma, lower, upper):
    """The mean of a lognormal(mu, sigma) truncated to (lower, upper), as brms's."""
    lower, upper = _open(lower, upper, np.shape(mu))
    with np.errstate(divide="ignore"):
        a = (np.log(np.maximum(lower, 0.0)) - mu) / sigma
        b = (np.log(upper) - mu) / sigma
    inside = special.ndtr(b - sigma) - special.ndtr(a - sigma)
    return np.exp(mu + sigma**2 / 2) * inside / (special.ndtr(b) - special.ndtr(a))


def _incomplete_gamma_ratio(shape, step, lower, upper, scale, power=1.0):
    """``(P(shape + step, ...) differences) / (P(shape, ...) differences)`` of the
    regularised lower incomplete gamma function between the bounds, on ``(x / scale) **
    power``: the ratio in brms's gamma, exponential and Weibull truncated means."""
    low = (np.maximum(lower, 0.0) / scale) ** power
    high = (upper / scale) ** power
    return ((special.gammainc(shape + step, high) - special.gammainc(shape + step, low))
            / (special.gammainc(shape, high) - special.gammainc(shape, low)))


def gamma_mean(mu, shape, lower, upper):
    """The mean of a gamma (mean mu, shape) truncated to (lower, upper)."""
    lower, upper = _open(lower, upper, np.shape(mu))
    return mu * _incomplete_gamma_ratio(shape, 1.0, lower, upper, mu / shape)


def exponential_mean(mu, lower, upper):
    """The mean of an exponential with mean mu truncated to (lower, upper)."""
    return gamma_mean(mu, 1.0, lower, upper)


def weibull_mean(mu, shape, lower, upper):
    """The mean of a Weibull (mean mu, shape) truncated to (lower, upper): brms's
    ``scale * (incgamma(a, (ub/scale)^shape) - incgamma(a, (lb/scale)^shape))`` over the
    probability, ``a = 1 + 1/shape``."""
    lower, upper = _open(lower, upper, np.shape(mu))
    scale = mu / special.gamma(1.0 + 1.0 / shape)
    # the Weibull's CDF is the regularised incomplete gamma P(1, (x / scale) ** shape)
    return mu * _incomplete_gamma_ratio(1.0, 1.0 / shape, lower, upper, scale, power=shape)


def count_mean(distribution, lower, upper, largest):
    """The mean of a count distribution (a frozen SciPy distribution of draws x rows)
    truncated to the whole numbers ``lower..upper``: its probabilities summed from the lower
    bound to the upper one, or to ``largest`` where the upper side is open (far enough into
    the tail that the rest is below double precision)."""
    shape = np.shape(distribution.mean())
    lower, upper = _open(lower, upper, shape)
    lower = np.maximum(lower, 0.0)
    upper = np.minimum(upper, largest)
    total = np.zeros(shape)
    weighted = np.zeros(shape)
    for value in range(int(np.min(lower)), int(np.max(upper)) + 1):
        inside = (value >= lower) & (value <= upper)
        probability = np.where(inside, distribution.pmf(value), 0.0)
        total += probability
        weighted += value * probability
    return weighted / total


def count_limit(distribution, upper) -> float:
    """The largest count worth summing: the upper bound, or where the tail beyond every
    draw's mean has no mass left in double precision."""
    tail = float(np.max(distribution.isf(1e-16)))
    return tail if upper is None else min(float(np.max(upper)), tail)


def gaussian(mu, aux, trials, lower, upper):
    return normal_mean(mu, aux["sigma"], lower, upper)


def lognormal(mu, aux, trials, lower, upper):
    return lognormal_mean(mu, aux["sigma"], lower, upper)


def gamma(mu, aux, trials, lower, upper):
    return gamma_mean(mu, aux["shape"], lower, upper)


def exponential(mu, aux, trials, lower, upper):
    return exponential_mean(mu, lower, upper)


def weibull(mu, aux, trials, lower, upper):
    return weibull_mean(mu, aux["shape"], lower, upper)


def _counts(distribution, lower, upper):
    return count_mean(distribution, lower, upper, count_limit(distribution, upper))


def poisson(mu, aux, trials, lower, upper):
    return _counts(stats.poisson(mu), lower, upper)


def binomial(mu, aux, trials, lower, upper):
    return _counts(stats.binom(np.broadcast_to(trials, np.shape(mu)).astype(int), mu),
                   lower, upper)
