"""Correlation matrices with LKJ priors, as Stan's ``cholesky_factor_corr``."""

from __future__ import annotations

import math

import pymc as pm
import pytensor.tensor as pt

from ..priors.distributions import in_lprior


def lkj_cholesky(name: str, size: int, eta: float):
    """Cholesky factor of an LKJ(eta) correlation matrix, as Stan's ``cholesky_factor_corr``.

    The K(K-1)/2 unconstrained values go through tanh to canonical partial correlations and
    are stick-broken into rows of unit length; the log-Jacobian and the LKJ density on the
    Cholesky factor enter through a Potential.
    """
    raw = pm.Flat(name, shape=size * (size - 1) // 2)
    partial = pt.tanh(raw)
    log_jacobian = pt.sum(pt.log1p(-pt.sqr(partial)))
    rows = [pt.concatenate([pt.ones(1), pt.zeros(size - 1)])]
    log_diagonal = []
    position = 0
    for i in range(1, size):
        entries = []
        remaining = pt.constant(1.0)
        for _ in range(i):
            value = partial[position] * pt.sqrt(remaining)
            if entries:
                log_jacobian = log_jacobian + 0.5 * pt.log(remaining)
            entries.append(value)
            remaining = remaining - pt.sqr(value)
            position += 1
        diagonal = pt.sqrt(remaining)
        log_diagonal.append(pt.log(diagonal))
        rows.append(pt.concatenate([pt.stack(entries), diagonal[None], pt.zeros(size - 1 - i)]))
    cholesky = pt.stack(rows)
    pm.Potential(f"{name}_lkj", _lkj_density(log_diagonal, size, eta) + log_jacobian)
    return cholesky


def _lkj_density(log_diagonal: list, size: int, eta: float):
    """Stan's ``lkj_corr_cholesky_lpdf`` from the logs of the factor's diagonal below its
    first row: sum_i (K - i - 1 + 2 eta - 2) log L_ii over i = 1..K-1, less the log of LKJ's
    normalising constant, as Stan's, so that the log density is the posterior's to the
    constant (bridge sampling's marginal likelihood needs it)."""
    lkj = sum((size - i - 1 + 2 * eta - 2) * log_diagonal[i - 1] for i in range(1, size))
    return lkj - lkj_log_normaliser(size, eta)


def with_lkj_lprior(stored, sizes: list[int], eta: float):
    """Count in brms's ``lprior`` the LKJ(eta) priors of the correlation matrices whose upper
    triangles ``stored`` concatenates, in the order of :func:`correlations`, one matrix of
    each size in ``sizes``. Returns ``stored``.

    The term is written in the stored correlations rather than in the sampled factors, so
    that it is evaluated from the draws: each matrix's Cholesky factor again.
    """
    terms, start = [], 0
    for size in sizes:
        entries = stored[start:start + size * (size - 1) // 2]
        start += size * (size - 1) // 2
        terms.append(_lkj_density(_log_cholesky_diagonal(entries, size)[1:], size, eta))
    return in_lprior(stored, pt.sum(pt.stack(terms)))


def _log_cholesky_diagonal(entries, size: int) -> list:
    """The logs of the diagonal of the Cholesky factor of the correlation matrix whose upper
    triangle ``entries`` holds in the order of :func:`correlations`, by the Cholesky-Banachiewicz
    recursion in scalar operations: evaluated over many draws at once, they work through
    all draws together, where a matrix operation would go through the draws one by one."""
    pairs = [(j, i) for i in range(1, size) for j in range(i)]
    upper = {pair: entries[k] for k, pair in enumerate(pairs)}
    factor: dict[tuple[int, int], object] = {}
    logs = []
    for i in range(size):
        for j in range(i):
            dot = sum((factor[i, k] * factor[j, k] for k in range(j)), pt.constant(0.0))
            factor[i, j] = (upper[j, i] - dot) / factor[j, j]
        square = 1.0 - sum((pt.sqr(factor[i, k]) for k in range(i)), pt.constant(0.0))
        factor[i, i] = pt.sqrt(square)
        logs.append(0.5 * pt.log(square))
    return logs


def lkj_log_normaliser(size: int, eta: float) -> float:
    """The log of the LKJ(eta) density's normalising constant for ``size`` x ``size``
    correlation matrices (Lewandowski, Kurowicka & Joe 2009): ``log 2`` times
    ``sum_k (2 eta - 2 + K - k)(K - k)`` plus ``sum_k (K - k) log B(b_k, b_k)``, with
    ``b_k = eta + (K - k - 1) / 2`` for ``k = 1..K-1``. PyMC's ``LKJCorr`` is not used for
    it: its log density at the identity has the opposite sign (PyMC 5.28)."""
    total = 0.0
    for k in range(1, size):
        b = eta + (size - k - 1) / 2
        total += (2 * eta - 2 + size - k) * (size - k) * math.log(2.0)
        total += (size - k) * (2 * math.lgamma(b) - math.lgamma(2 * b))
    return total


def correlations(cholesky, size: int):
    correlation = cholesky @ cholesky.T
    return pt.stack([correlation[j, i] for i in range(1, size) for j in range(i)])
