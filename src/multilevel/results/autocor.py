"""Predictions and pointwise log-likelihood of models with a residual structure, as brms's.

With ARMA terms the expected value of an observation includes the lagged residuals of its
series; where the response of an earlier row is unknown (new rows without it), a predicted
value takes its place and is carried forward, as brms does. With compound symmetry the
expected value is the linear predictor, new observations are drawn jointly per series, and
each observation's log-likelihood is conditional on the rest of its series (brms's
``log_lik`` for such models, which leave-one-out cross-validation needs); the same holds for
an unstructured correlation matrix, one block of time points at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..spec.timeseries import TimeSeries


@dataclass(frozen=True)
class AutocorDraws:
    """A residual structure's series and the posterior draws of its parameters."""

    series: TimeSeries
    ar: np.ndarray | None = None
    ma: np.ndarray | None = None
    cosy: np.ndarray | None = None
    cortime: np.ndarray | None = None

    @property
    def joint(self) -> bool:
        """Whether the residuals of a series are drawn and evaluated jointly."""
        return self.cosy is not None or self.cortime is not None

    def log_lik(self, y: np.ndarray, mu: np.ndarray, aux: dict) -> np.ndarray:
        """Each row's log density given the rest of its series (a joint structure only)."""
        if self.cosy is not None:
            return cosy_log_lik(y, mu, aux, self)
        return unstr_log_lik(y, mu, aux, self)

    def draws(self, rng: np.random.Generator, mu: np.ndarray, aux: dict) -> np.ndarray:
        """New observations drawn jointly per series (a joint structure only)."""
        if self.cosy is not None:
            return cosy_draws(rng, mu, aux, self)
        return unstr_draws(rng, mu, aux, self)


def correlation_matrices(pairs: np.ndarray, size: int) -> np.ndarray:
    """Correlation matrices (draws x size x size) from their upper triangles, column by
    column as brms orders correlations (1-2, 1-3, 2-3, ...)."""
    draws = pairs.shape[0]
    correlation = np.broadcast_to(np.eye(size), (draws, size, size)).copy()
    position = 0
    for i in range(1, size):
        for j in range(i):
            correlation[:, i, j] = correlation[:, j, i] = pairs[:, position]
            position += 1
    return correlation


def _columns(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return values if values.shape[1] == 1 else values[:, rows]


def arma_linear_predictor(eta: np.ndarray, y: np.ndarray, autocor: AutocorDraws, family,
                          aux: dict, rng: np.random.Generator) -> np.ndarray:
    """``eta`` (draws x rows) with the ARMA terms of each row's series added.

    ``y`` holds the observed responses, NaN where unknown.
    """
    series = autocor.series
    p = 0 if autocor.ar is None else autocor.ar.shape[1]
    q = 0 if autocor.ma is None else autocor.ma.shape[1]
    index, mask = series.lags(max(p, q))
    errors = np.zeros_like(eta)
    result = eta.copy()
    for step in range(series.longest):
        rows = np.flatnonzero(series.position == step)
        lagged = errors[:, index[rows]] * mask[rows]
        if q:
            result[:, rows] += np.einsum("drk,dk->dr", lagged[:, :, :q], autocor.ma)
        before_ar = result[:, rows].copy()
        if p:
            result[:, rows] += np.einsum("drk,dk->dr", lagged[:, :, :p], autocor.ar)
        values = np.broadcast_to(y[rows], before_ar.shape).copy()
        unknown = np.isnan(y[rows])
        if unknown.any():
            wanted = rows[unknown]
            values[:, unknown] = family.random(
                rng, result[:, wanted], {k: _columns(v, wanted) for k, v in aux.items()})
        errors[:, rows] = values - before_ar
    return result


def cosy_log_lik(y: np.ndarray, mu: np.ndarray, aux: dict, autocor: AutocorDraws) -> np.ndarray:
    """Each observation's log density given the other rows of its series (draws x rows).

    Under ``Sigma = diag(sigma) R diag(sigma)`` with compound symmetry ``R``, the precision
    is ``P = diag(1/sigma) R^-1 diag(1/sigma)``; the conditional of row i is normal with
    mean ``y_i - (P e)_i / P_ii`` and variance ``1 / P_ii``, or Student t with brms's
    df ``nu + n - 1`` and scale factor ``(nu + beta_i) / (nu + n - 1)``, where
    ``beta_i = e' P e - (P e)_i^2 / P_ii`` is the quadratic form of the other rows.
    """
    series = autocor.series.series
    sigma = np.broadcast_to(aux["sigma"], mu.shape)
    standardized = (y[None, :] - mu) / sigma
    totals = np.zeros((mu.shape[0], len(autocor.series.series_labels)))
    np.add.at(totals.T, series, standardized.T)
    squares = np.zeros_like(totals)
    np.add.at(squares.T, series, (standardized ** 2).T)
    cosy = autocor.cosy[:, None]
    series_shrink = cosy / (1.0 + (autocor.series.sizes[None, :] - 1.0) * cosy)
    shrink = series_shrink[:, series]
    series_total = totals[:, series]
    precision_ii = (1.0 - shrink) / ((1.0 - cosy) * sigma ** 2)
    gradient = (standardized - shrink * series_total) / ((1.0 - cosy) * sigma)
    location = y[None, :] - gradient / precision_ii
    scale = np.sqrt(1.0 / precision_ii)
    if "nu" not in aux:
        return stats.norm.logpdf(y[None, :], location, scale)
    nu = np.broadcast_to(aux["nu"], mu.shape)
    quadratic = ((squares - series_shrink * totals ** 2) / (1.0 - cosy))[:, series]
    others = quadratic - gradient ** 2 / precision_ii
    df = nu + autocor.series.sizes[series] - 1.0
    return stats.t.logpdf(y[None, :], df, location, scale * np.sqrt((nu + others) / df))


def cosy_draws(rng: np.random.Generator, mu: np.ndarray, aux: dict,
               autocor: AutocorDraws) -> np.ndarray:
    """New observations drawn jointly per series under compound symmetry (draws x rows).

    A residual is ``sigma_i (sqrt(1 - c) z_i + sqrt(c) w_s)`` with independent standard
    normal ``z`` per row and ``w`` per series; dividing a series by ``sqrt(V / nu)``,
    ``V ~ chi2(nu)``, makes it multivariate t.
    """
    draws, rows = mu.shape
    groups = len(autocor.series.series_labels)
    cosy = autocor.cosy[:, None]
    shared = rng.standard_normal((draws, groups))[:, autocor.series.series]
    correlated = np.sqrt(1.0 - cosy) * rng.standard_normal((draws, rows)) + np.sqrt(cosy) * shared
    if "nu" in aux:
        nu = np.broadcast_to(aux["nu"], mu.shape)[:, :1]
        mixing = rng.chisquare(np.broadcast_to(nu, (draws, groups))) / nu
        correlated = correlated / np.sqrt(mixing)[:, autocor.series.series]
    return mu + np.broadcast_to(aux["sigma"], mu.shape) * correlated


def _conditional_log_density(y, mu, sigma, nu, covariance_rows):
    """Log densities of each row given the others of its series, for series that share one
    correlation matrix; ``covariance_rows`` yields (correlation draws x m x m, rows k x m)."""
    result = np.empty_like(mu)
    for correlation, rows in covariance_rows:
        size = rows.shape[1]
        scale = sigma[:, rows]
        covariance = correlation[:, None] * scale[..., :, None] * scale[..., None, :]
        precision = np.linalg.inv(covariance)
        residual = y[rows][None] - mu[:, rows]
        gradient = np.einsum("dkij,dkj->dki", precision, residual)
        diagonal = np.diagonal(precision, axis1=2, axis2=3)
        location = y[rows][None] - gradient / diagonal
        spread = np.sqrt(1.0 / diagonal)
        if nu is None:
            result[:, rows] = stats.norm.logpdf(y[rows][None], location, spread)
            continue
        df_nu = nu[:, rows]
        quadratic = np.einsum("dki,dki->dk", residual, gradient)[..., None]
        others = quadratic - gradient ** 2 / diagonal
        df = df_nu + size - 1.0
        result[:, rows] = stats.t.logpdf(y[rows][None], df, location,
                                         spread * np.sqrt((df_nu + others) / df))
    return result


def _pattern_correlations(autocor: AutocorDraws):
    full = correlation_matrices(autocor.cortime, len(autocor.series.time_labels))
    for times, rows in autocor.series.patterns():
        yield full[:, times][:, :, times], rows


def unstr_log_lik(y: np.ndarray, mu: np.ndarray, aux: dict,
                  autocor: AutocorDraws) -> np.ndarray:
    """Each observation's log density given the other rows of its series (draws x rows),
    under an unstructured correlation matrix; as :func:`cosy_log_lik`."""
    sigma = np.broadcast_to(aux["sigma"], mu.shape)
    nu = None if "nu" not in aux else np.broadcast_to(aux["nu"], mu.shape)
    return _conditional_log_density(y, mu, sigma, nu, _pattern_correlations(autocor))


def unstr_draws(rng: np.random.Generator, mu: np.ndarray, aux: dict,
                autocor: AutocorDraws) -> np.ndarray:
    """New observations drawn jointly per series with the correlations of its time points."""
    result = np.empty_like(mu)
    sigma = np.broadcast_to(aux["sigma"], mu.shape)
    for correlation, rows in _pattern_correlations(autocor):
        factor = np.linalg.cholesky(correlation)
        standard = rng.standard_normal((mu.shape[0], rows.shape[0], rows.shape[1]))
        correlated = np.einsum("dij,dkj->dki", factor, standard)
        if "nu" in aux:
            nu = np.broadcast_to(aux["nu"], mu.shape)[:, :1]
            mixing = rng.chisquare(np.broadcast_to(nu, (mu.shape[0], rows.shape[0]))) / nu
            correlated = correlated / np.sqrt(mixing)[..., None]
        result[:, rows] = mu[:, rows] + sigma[:, rows] * correlated
    return result
