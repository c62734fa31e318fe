"""Correlation matrices with LKJ priors, as Stan's ``cholesky_factor_corr``."""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt


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
    # lkj_corr_cholesky_lpdf: sum_i (K - i - 1 + 2 eta - 2) log L_ii over i = 1..K-1
    lkj = sum((size - i - 1 + 2 * eta - 2) * log_diagonal[i - 1] for i in range(1, size))
    pm.Potential(f"{name}_lkj", lkj + log_jacobian)
    return cholesky


def correlations(cholesky, size: int):
    correlation = cholesky @ cholesky.T
    return pt.stack([correlation[j, i] for i in range(1, size) for j in range(i)])
