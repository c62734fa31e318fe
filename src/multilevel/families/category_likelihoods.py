"""Likelihoods of ordinal and categorical responses on categories 1..K.

brms's cumulative model takes K - 1 ordered thresholds and one linear predictor; its
sequential models (stopping and continuation ratio) and adjacent-category model take K - 1
thresholds without order; its categorical model one linear predictor per category but the
first, which is zero.
"""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt

from .closed_form import log_normal_cdf
from .family import is_category_predictor
from .links import LINKS, cauchy_cdf


def _cumulative_logp(value, eta, cutpoints, link):
    if link == "cloglog":
        return _cumulative_cloglog_logp(value - 1, eta, cutpoints)
    if link in _SYMMETRIC_CDF:
        return _cumulative_difference_logp(value - 1, eta, cutpoints, _SYMMETRIC_CDF[link])
    return pm.logp(pm.OrderedLogistic.dist(eta=eta, cutpoints=cutpoints), value - 1)


def _row_bounds(category, eta, cutpoints, ends):
    """Each row's thresholds below and above its ``category`` (0..K-1) less ``eta``, the
    open ends at ``-ends`` and ``ends``, picked along the last axis whatever the leading
    (draws) axes."""
    cutpoints = pt.as_tensor_variable(cutpoints)
    end = pt.ones_like(cutpoints[..., :1]) * ends
    bounds = pt.concatenate([-end, cutpoints, end], axis=-1)
    position = pt.arange(bounds.shape[-1])
    row_category = pt.shape_padright(category)
    upper = pt.sum(pt.switch(pt.eq(position, row_category + 1), bounds, 0.0), axis=-1) - eta
    lower = pt.sum(pt.switch(pt.eq(position, row_category), bounds, 0.0), axis=-1) - eta
    return lower, upper


# inverse links F with F(-x) = 1 - F(x); the logit's is PyMC's ordered logistic, cheap per
# probability, which samples faster than its differences
_SYMMETRIC_CDF = {name: LINKS[name].inverse_tensor for name in ("probit", "cauchit")}


def _cumulative_difference_logp(category, eta, cutpoints, cdf):
    """``log(F(upper - eta) - F(lower - eta))`` between the thresholds around each row's
    ``category`` (0..K-1), as brms's differences of the inverse link ``F`` (the probit's
    ``Phi``, the cauchit's ``inv_cauchit``).

    PyMC's ordered probit computes all K probabilities of every row and normalises them:
    several times the work of the one difference a row needs. A difference of two values
    near 1 loses precision; it is taken as the equal difference of their reflections in zero
    (``F`` being symmetric). The open end is left out of the difference rather than placed
    at an infinite bound, whose gradient JAX takes as NaN.
    """
    lower, upper = _row_bounds(category, eta, cutpoints, 0.0)
    first = pt.eq(category, 0)
    last = pt.eq(category, pt.as_tensor_variable(cutpoints).shape[-1])
    reflect = ~first & (last | (upper + lower > 0))
    high = pt.switch(reflect, -lower, upper)
    low = pt.switch(reflect, -upper, lower)
    return pt.log(cdf(high) - pt.switch(first | last, 0.0, cdf(low)))


def _cumulative_cloglog_logp(category, eta, cutpoints):
    """``log(F(upper - eta) - F(lower - eta))`` with ``F(x) = 1 - exp(-exp(x))``, brms's
    inverse cloglog: ``exp(-exp(lower)) - exp(-exp(upper))``, taken as ``-exp(lower) +
    log(1 - exp(-(exp(upper) - exp(lower))))``, exact where the two are close. The open ends
    are exact too (``exp(-inf)`` is 0): the first category has no lower term, the last no
    upper one, and the ends' placeholders stay finite so that neither branch's gradient is
    NaN."""
    lower, upper = _row_bounds(category, eta, cutpoints, 0.0)
    first = pt.eq(category, 0)
    last = pt.eq(category, pt.as_tensor_variable(cutpoints).shape[-1])
    below = pt.switch(first, 0.0, pt.exp(lower))
    gap = pt.switch(last, 1.0, pt.exp(upper) - below)
    return -below + pt.switch(last, 0.0, pt.log1mexp(-gap))


def _cumulative_draws(eta, cutpoints, link, size):
    if link == "logit":
        return pm.OrderedLogistic.dist(eta=eta, cutpoints=cutpoints, size=size) + 1
    below = LINKS[link].inverse_tensor(pt.as_tensor_variable(cutpoints)
                                       - pt.shape_padright(eta))
    zero = pt.zeros_like(below[..., :1])
    cdf = pt.concatenate([zero, below, zero + 1], axis=-1)
    return pm.Categorical.dist(p=cdf[..., 1:] - cdf[..., :-1], size=size) + 1


def _log_cdf(link, x):
    """``log F(x)`` and ``log(1 - F(x))`` for the link's inverse ``F``, each kept where the
    other is near zero."""
    if link == "logit":
        return -pt.softplus(-x), -pt.softplus(x)
    if link == "probit":
        return log_normal_cdf(x), log_normal_cdf(-x)
    if link == "cauchit":
        return pt.log(cauchy_cdf(x)), pt.log(cauchy_cdf(-x))
    # cloglog: F(x) = 1 - exp(-exp(x))
    return pt.log1mexp(-pt.exp(x)), -pt.exp(x)


def _before(terms):
    """Each category's sum of ``terms`` over the thresholds below it (0 for the first)."""
    zero = pt.zeros_like(terms[..., :1])
    return pt.concatenate([zero, pt.cumsum(terms, axis=-1)], axis=-1)


def _category_log_probabilities(kind, eta, thresholds, link):
    """The log-probabilities of categories 1..K (last axis) of brms's ``sratio``, ``cratio``
    and ``acat`` models, as its Stan functions define them:

    - sratio: the response stops at k with probability F(t_k - eta), having passed every
      threshold below;
    - cratio: it continues past k with probability F(eta - t_k);
    - acat: each category's odds against the one below are F(eta - t_k) / (1 - F(eta - t_k)),
      for the logit exp(eta - t_k).
    """
    thresholds = pt.as_tensor_variable(thresholds)
    difference = thresholds - pt.shape_padright(eta)
    if kind == "acat":
        above, below = _log_cdf(link, -difference)
        # categories k: F above each threshold under k, 1 - F at each from k on
        log_weights = _before(above) + pt.sum(below, axis=-1, keepdims=True) - _before(below)
        return log_weights - pt.logsumexp(log_weights, axis=-1, keepdims=True)
    if kind == "sratio":
        stop, go_on = _log_cdf(link, difference)
    else:
        go_on, stop = _log_cdf(link, -difference)
    last = pt.zeros_like(stop[..., :1])
    return pt.concatenate([stop, last], axis=-1) + _before(go_on)


def _pick(values, category):
    """``values[..., category]`` for each row's category (0..K-1), whatever the leading
    (draws) axes."""
    # the positions counted rather than pt.arange'd: JAX needs an arange's length as a
    # constant, which a thresholds' vector of the model's coordinates does not give
    position = pt.cumsum(pt.ones_like(values), axis=-1) - 1
    return pt.sum(pt.switch(pt.eq(position, pt.shape_padright(category)), values, 0.0),
                  axis=-1)


class _Sequential:
    """brms's ``sratio``, ``cratio`` and ``acat`` models on categories 1..K."""

    def __init__(self, kind):
        self.kind = kind

    def _functions(self, link):
        kind = self.kind

        def logp(value, eta, thresholds):
            return _pick(_category_log_probabilities(kind, eta, thresholds, link), value - 1)

        def dist(eta, thresholds, size):
            probabilities = pt.exp(_category_log_probabilities(kind, eta, thresholds, link))
            return pm.Categorical.dist(p=probabilities, size=size) + 1

        return {"logp": logp, "dist": dist}

    def __call__(self, name, eta, cutpoints, link, **kwargs):
        return pm.CustomDist(name, eta, cutpoints, **self._functions(link), dtype="int64",
                             **kwargs)

    def dist(self, eta, cutpoints, link, **kwargs):
        return pm.CustomDist.dist(eta, cutpoints, **self._functions(link), dtype="int64",
                                  **kwargs)


_SEQUENTIAL = {kind: _Sequential(kind) for kind in ("sratio", "cratio", "acat")}


def sequential_likelihood(kind):
    """The likelihood of brms's ``kind`` model (``sratio``, ``cratio`` or ``acat``)."""
    def likelihood(eta, mu, aux, trials, link):
        eta, cutpoints = discriminated(eta, aux["thresholds"], aux)
        return _SEQUENTIAL[kind], {"eta": eta, "cutpoints": cutpoints, "link": link}
    return likelihood


class _Cumulative:
    """brms's cumulative model on categories 1..K: PyMC's ordered logistic, the differences
    of the inverse link for the probit, cauchit and cloglog."""

    def __new__(cls, name, eta, cutpoints, link, **kwargs):
        return pm.CustomDist(name, eta, cutpoints, **cls._functions(link), dtype="int64",
                             **kwargs)

    @staticmethod
    def _functions(link):
        return {"logp": lambda value, eta, cutpoints: _cumulative_logp(value, eta, cutpoints,
                                                                       link),
                "dist": lambda eta, cutpoints, size: _cumulative_draws(eta, cutpoints, link,
                                                                       size)}

    @classmethod
    def dist(cls, eta, cutpoints, link, **kwargs):
        return pm.CustomDist.dist(eta, cutpoints, **cls._functions(link), dtype="int64",
                                  **kwargs)


def discriminated(eta, cutpoints, aux):
    """The linear predictor and thresholds times the discrimination ``disc``, as brms's
    ``F(disc * (threshold - eta))``; unchanged where it is held at 1 (a number)."""
    if isinstance(aux.get("disc", 1.0), (int, float)) and aux.get("disc", 1.0) == 1.0:
        return eta, cutpoints
    disc = aux["disc"]
    return disc * eta, pt.shape_padright(disc) * cutpoints


def cumulative_likelihood(eta, mu, aux, trials, link):
    eta, cutpoints = discriminated(eta, aux["thresholds"], aux)
    return _Cumulative, {"eta": eta, "cutpoints": cutpoints, "link": link}


class _Categorical:
    """brms's categorical model on categories 1..K, from PyMC's categorical on logits."""

    @staticmethod
    def _logp(value, *etas):
        return pm.logp(pm.Categorical.dist(logit_p=pt.stack(etas, axis=-1)), value - 1)

    @staticmethod
    def _dist(*args):
        *etas, size = args
        return pm.Categorical.dist(logit_p=pt.stack(etas, axis=-1), size=size) + 1

    def __new__(cls, name, etas, **kwargs):
        return pm.CustomDist(name, *etas, logp=cls._logp, dist=cls._dist, dtype="int64",
                             **kwargs)

    @classmethod
    def dist(cls, etas, **kwargs):
        return pm.CustomDist.dist(*etas, logp=cls._logp, dist=cls._dist, dtype="int64",
                                  **kwargs)


def category_predictors(aux: dict) -> list:
    """The categories' linear predictors among a categorical family's parameters (``mu2``,
    ...; a dirichlet's ``phi`` is none), the first category's zero before them."""
    others = [value for name, value in aux.items() if is_category_predictor(name)]
    return [pt.zeros_like(others[0])] + others


def categorical_likelihood(eta, mu, aux, trials, link):
    return _Categorical, {"etas": category_predictors(aux)}
