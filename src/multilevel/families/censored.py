"""Censored and truncated responses: their log-likelihoods from the PyMC distribution's log
CDFs, as brms's Stan code writes them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.dist_math import normal_lccdf

# brms's codes of a censored response: -1 left, 0 none, 1 right, 2 interval
LEFT, UNCENSORED, RIGHT, INTERVAL = -1, 0, 1, 2


def _censored_term(code: int, distribution, y, upper, bounds=(None, None),
                   discrete: bool = False):
    """The log-likelihood of rows censored as ``code``: the log density where uncensored,
    ``log P(Y <= y)`` left-censored, ``log P(Y > y)`` right-censored, and
    ``log P(y < Y <= upper)`` in an interval, from the PyMC distribution's log CDFs.

    Of a truncated response (``bounds``, None for an open side) a left-censored row's
    probability starts at the lower bound and a right-censored row's ends at the upper one.
    brms 2.18 leaves them open, which lets the likelihood of such rows grow without bound as
    the mean leaves the bounds (its fits of such data do not converge)."""
    lower, upper_bound = bounds
    if code == UNCENSORED:
        return pm.logp(distribution, y)
    if code == RIGHT and upper_bound is not None:
        return _censored_term(INTERVAL, distribution, y, upper_bound)
    if code == RIGHT:
        return _log_survival(distribution, y)
    if code == LEFT and lower is not None:
        # a count's lower bound is a value it can take
        return _censored_term(INTERVAL, distribution, lower - 1 if discrete else lower, y)
    below = pm.logcdf(distribution, y)
    if code == LEFT:
        return below
    above = pm.logcdf(distribution, upper)
    return above + pt.log1mexp(below - above)


# log P(Y > y) in closed form, by the PyMC distribution's random variable type. PyMC has its
# own only for the normal; for the others it takes one less the CDF, log1mexp(logcdf), which
# is -inf far in the right tail and whose gradient JAX gets as NaN there
_LOG_SURVIVAL = {
    pm.Exponential.rv_type: lambda y, scale: -y / scale,
    pm.Weibull.rv_type: lambda y, alpha, beta: -((y / beta) ** alpha),
    pm.LogNormal.rv_type: lambda y, mu, sigma: normal_lccdf(mu, sigma, pt.log(y)),
}


def _log_survival(distribution, y):
    node = distribution.owner
    closed_form = _LOG_SURVIVAL.get(type(node.op))
    if closed_form is None:
        return pm.logccdf(distribution, y)
    return closed_form(y, *node.op.dist_params(node))


def censored_log_density(distribution, y, codes, upper, bounds=(None, None),
                         discrete: bool = False):
    """Each row's log-likelihood under brms's censoring ``codes`` (:func:`_censored_term`),
    for its value: every kind is computed for every row and each row takes its own."""
    upper = pt.switch(pt.eq(codes, INTERVAL), upper, y + 1)
    density = _censored_term(INTERVAL, distribution, y, upper)
    for code in (LEFT, RIGHT, UNCENSORED):
        density = pt.switch(pt.eq(codes, code),
                            _censored_term(code, distribution, y, upper, bounds, discrete),
                            density)
    return density


def censored_log_likelihood(likelihood_class, parameters: dict, y, codes: np.ndarray, upper,
                            rows_of: Callable, weights=None, bounds=(None, None),
                            discrete: bool = False):
    """The summed log-likelihood of a censored response for sampling: each kind of row
    (:func:`_censored_term`) on its own rows, ``rows_of(code)`` giving their positions, so
    that no row computes a kind whose value (a log CDF far in the tail) could be infinite
    and leave a gradient that is not a number.

    ``parameters`` are the likelihood class's, each one value or one per row; ``bounds`` a
    truncated response's (None for an open side).
    """
    total = 0.0
    for code in (UNCENSORED, RIGHT, LEFT, INTERVAL):
        if not np.any(codes == code):
            continue
        rows = rows_of(code)
        distribution = likelihood_class.dist(**{
            name: value[rows] if getattr(value, "ndim", 0) else value
            for name, value in parameters.items()})
        term = _censored_term(code, distribution, y[rows], upper[rows],
                              tuple(None if b is None else b[rows] for b in bounds), discrete)
        total = total + pt.sum(term if weights is None else weights[rows] * term)
    return total


def truncation_log_mass(distribution, lower, upper, discrete: bool):
    """Each row's log probability of its truncation bounds' interval (None for an open side),
    as brms: ``P(Y > lb)`` (for a count ``P(Y >= lb)``, brms's ``lccdf(lb - 1)``),
    ``P(Y <= ub)``, or ``P(lb < Y <= ub)``."""
    if lower is not None and discrete:
        lower = lower - 1
    if lower is not None and upper is not None:
        return _censored_term(INTERVAL, distribution, lower, upper)
    if lower is not None:
        return _censored_term(RIGHT, distribution, lower, None)
    return _censored_term(LEFT, distribution, upper, None)


def truncated_log_density(distribution, y, lower, upper, discrete: bool):
    """Each row's log density of ``y`` given that it lies within its bounds (None for an
    open side): the density less :func:`truncation_log_mass`, as brms."""
    return pm.logp(distribution, y) - truncation_log_mass(distribution, lower, upper, discrete)
