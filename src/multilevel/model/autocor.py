"""Residual structures in the PyMC model: brms's ARMA terms and compound symmetry.

ARMA terms follow brms's ``cov = FALSE`` formulation for gaussian and student families: the
mean of each observation gains the lagged residuals of its series,

    mu_n = eta_n + sum_i ma_i e_(n-i) + sum_i ar_i e_(n-i),
    e_n = y_n - eta_n - sum_i ma_i e_(n-i),

where lags run over earlier rows of the same series in time order (gaps in time are not
counted, as in brms). The moving-average recursion is linear in the residuals
``y - eta``, so it is written as their convolution with the filter's impulse response
instead of a loop over time. Compound symmetry (``cosy()``) is brms's multivariate normal
(or t) likelihood per series with correlation ``cosy`` between any two of its residuals;
its inverse and determinant have closed forms, so the density is a few sums per series.
An unstructured correlation matrix (``unstr()``, brms >= 2.20) gives each series the
correlations among the time points it has: series with the same time points share one
Cholesky factor of that part of the matrix.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.tensor.slinalg import solve_triangular

from ..priors.distributions import data, prior_variable
from ..priors.table import PriorTable
from ..spec.timeseries import TimeSeries
from .lkj import correlations, lkj_cholesky, with_lkj_lprior

AUTOCOR_DIMS = {"ar": "ar_lag", "ma": "ma_lag", "cortime": "cortime_pair"}


def _moving_average_filter(ma, q: int, length: int):
    """The impulse response h_1..h_length of ``e_n + sum_i ma_i e_(n-i) = residual_n``."""
    if q == 1:
        return pt.cumprod(pt.repeat(-ma[0], length))
    response = [pt.constant(1.0)]
    for t in range(1, length + 1):
        response.append(-sum(ma[i - 1] * response[t - i] for i in range(1, min(q, t) + 1)))
    return pt.stack(response[1:])


def arma_mean(eta, y, series: TimeSeries, ar, ma):
    """The mean of each observation with brms's ARMA terms added to ``eta``.

    ``ar`` and ``ma`` are the coefficient vectors (None for an order of 0).
    """
    p, q = series.term.p, series.term.q
    residual = y - eta
    history = max(series.longest - 1, p, q) if q else max(p, q)
    index, mask = series.lags(history)
    index = data("autocor_lag_index", index)
    mask = data("autocor_lag_mask", mask)
    errors = residual
    if q:
        errors = residual + pt.sum(residual[index] * mask
                                   * _moving_average_filter(ma, q, history)[None, :], axis=1)
    order = max(p, q)
    lagged = errors[index[:, :order]] * mask[:, :order]
    terms = pt.constant(0.0)
    if p:
        terms = terms + pt.dot(lagged[:, :p], ar)
    if q:
        terms = terms + pt.dot(lagged[:, :q], ma)
    return eta + terms


def cosy_log_density(residual, sigma, series: TimeSeries, cosy, nu=None):
    """The joint log density of the residuals under compound symmetry within each series.

    Per series of size n, the correlation matrix ``R = (1 - c) I + c J`` has
    ``R^-1 = (I - c / (1 + (n - 1) c) J) / (1 - c)`` and
    ``log det R = (n - 1) log(1 - c) + log(1 + (n - 1) c)``; with ``sigma`` varying by row
    the covariance is ``diag(sigma) R diag(sigma)``. ``nu`` gives the multivariate t.
    """
    rows = series.series.shape[0]
    groups = len(series.series_labels)
    index = data("autocor_series", series.series)
    sizes = data("autocor_sizes", series.sizes.astype(float))
    standardized = residual / sigma
    total = pt.inc_subtensor(pt.zeros(groups)[index], standardized)
    squares = pt.inc_subtensor(pt.zeros(groups)[index], pt.sqr(standardized))
    shrink = cosy / (1.0 + (sizes - 1.0) * cosy)
    quadratic = (squares - shrink * pt.sqr(total)) / (1.0 - cosy)
    log_det = (sizes - 1.0) * pt.log1p(-cosy) + pt.log1p((sizes - 1.0) * cosy)
    log_sigma = pt.sum(pt.log(sigma) * pt.ones(rows))
    return pt.sum(_series_density(quadratic, log_det, sizes, nu)) - log_sigma


def _series_density(quadratic, log_det, size, nu):
    """Multivariate normal (or t with ``nu``) log densities of series of ``size`` rows from
    their quadratic forms and the log determinant of their correlation matrix, without the
    scales' Jacobian."""
    if nu is None:
        return -0.5 * (size * np.log(2 * np.pi) + log_det + quadratic)
    return (pt.gammaln(0.5 * (nu + size)) - pt.gammaln(0.5 * nu)
            - 0.5 * size * pt.log(nu * np.pi) - 0.5 * log_det
            - 0.5 * (nu + size) * pt.log1p(quadratic / nu))


def unstr_log_density(residual, sigma, series: TimeSeries, cholesky, nu=None):
    """The joint log density of the residuals with an unstructured correlation matrix.

    ``cholesky`` is the Cholesky factor of the correlation matrix over all time points;
    a series with time points ``t`` has covariance ``diag(sigma) R[t, t] diag(sigma)``.
    """
    scale = sigma * pt.ones(series.series.shape[0])
    standardized = residual / scale
    correlation = pt.dot(cholesky, cholesky.T)
    total = -pt.sum(pt.log(scale))
    for number, (times, rows) in enumerate(series.patterns()):
        size = len(times)
        if size == len(series.time_labels):
            factor = cholesky
        else:
            chosen = data(f"autocor_times_{number}", times)
            factor = pt.linalg.cholesky(correlation[chosen][:, chosen])
        values = standardized[data(f"autocor_rows_{number}", rows)]
        whitened = solve_triangular(factor, values.T, lower=True)
        quadratic = pt.sum(pt.sqr(whitened), axis=0)
        log_det = 2.0 * pt.sum(pt.log(pt.diag(factor)))
        total = total + pt.sum(_series_density(quadratic, log_det, size, nu))
    return total


def autocor_parameters(design, table: PriorTable) -> dict:
    """The parameters of the design's residual structure, by brms's class names."""
    if design.autocor is None:
        return {}
    term = design.autocor.term
    if term.kind == "cosy":
        return {"cosy": prior_variable("cosy", table.lookup("cosy"), 0.0, upper=1.0)}
    if term.kind == "unstr":
        size = len(design.autocor.time_labels)
        eta = table.lookup("cortime").args[0]
        cholesky = lkj_cholesky("Lcortime", size, eta)
        # the model needs the factor; the posterior keeps the correlations, as brms
        with_lkj_lprior(pm.Deterministic("cortime", correlations(cholesky, size),
                                         dims=AUTOCOR_DIMS["cortime"]), [size], eta)
        return {"cortime": cholesky}
    return {name: prior_variable(name, table.lookup(name), None, dims=AUTOCOR_DIMS[name])
            for name, order in (("ar", term.p), ("ma", term.q)) if order}
