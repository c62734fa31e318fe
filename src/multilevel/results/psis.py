"""PSIS leave-one-out quantities as the loo package computes them for brms, through ArviZ.

brms's ``loo()`` calls the loo package with each observation's relative efficiency (the ESS
of its likelihood draws over their number). That efficiency sets the length of the Pareto
tail, so it moves each Pareto k and elpd a little, and it scales the Monte Carlo error loo
prints. ArviZ's ``loo`` takes one efficiency for all observations and reports neither an
effective sample size per observation nor the Monte Carlo error of elpd_loo, so this module
calls ArviZ's own pieces (``psislw`` for the smoothing, ``ess`` for the efficiencies) once
per tail length and computes the rest as loo 2.5 does.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import xarray as xr
from scipy.stats import norm

from ..blocks import row_blocks

# loo approximates the variance of log(epd) from this many normal quantiles
_MCSE_QUANTILES = 1000
# Blom's plotting position of those quantiles, as loo's
_BLOM = 3 / 8
# loo reports no Monte Carlo error of elpd_loo when any Pareto k exceeds this
K_RELIABLE = 0.7


@dataclass(frozen=True)
class PsisLoo:
    """Pointwise PSIS-LOO results, one entry per observation.

    Attributes
    ----------
    elpd
        The leave-one-out log predictive density.
    pareto_k
        The fitted Pareto shape of the importance ratios' tail.
    n_eff
        The effective sample size of the smoothed importance weights (loo's ``n_eff``).
    mcse
        The Monte Carlo standard error of ``elpd`` (loo's ``mcse_elpd_loo``).
    """

    elpd: np.ndarray
    pareto_k: np.ndarray
    n_eff: np.ndarray
    mcse: np.ndarray


def log_sum_exp(values: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(values)))`` along ``axis``, without overflow.

    SciPy's ``logsumexp`` (1.15 and later, written for the array API) makes several
    temporaries of the whole array and is more than ten times slower on a matrix of draws by
    observations, where it took seconds.
    """
    peak = np.max(values, axis=axis, keepdims=True)
    # a column of -inf alone has the log of zero, -inf, as its sum
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(values - peak), axis=axis))
    return total + np.squeeze(peak, axis=axis)


def log_mean_exp(log_lik: np.ndarray) -> np.ndarray:
    """Each observation's log of its mean likelihood over the draws (rows) of ``log_lik``."""
    draws, observations = log_lik.shape
    return np.concatenate([log_sum_exp(log_lik[:, block], axis=0)
                           for block in row_blocks(draws, observations)]) - np.log(draws)


def relative_efficiency(log_lik: np.ndarray) -> np.ndarray:
    """Each observation's relative efficiency: ArviZ's ESS of its likelihood draws over
    their number, as loo's ``relative_eff(exp(log_lik))``.

    Parameters
    ----------
    log_lik
        Shape (chains, draws, observations).

    Returns
    -------
    ndarray
        One value per observation; 1 where the likelihood does not vary.
    """
    # the ESS of a column is unchanged by scaling it, which keeps exp() in range
    likelihood = np.exp(log_lik - log_lik.max(axis=(0, 1), keepdims=True))
    dataset = xr.Dataset({"likelihood": (("chain", "draw", "obs"), likelihood)})
    efficiency = az.ess(dataset, method="mean", relative=True)["likelihood"].to_numpy()
    # ArviZ counts a constant column's draws many times over
    constant = np.all(likelihood == likelihood[:1, :1], axis=(0, 1))
    return np.where(np.isfinite(efficiency) & ~constant, efficiency, 1.0)


def psis_loo(log_lik: np.ndarray, efficiency_from_chains: bool = True) -> PsisLoo:
    """Pareto-smoothed importance-sampling LOO with loo's per-observation efficiencies.

    Parameters
    ----------
    log_lik
        Shape (chains, draws, observations).
    efficiency_from_chains
        False where the chains sample different posteriors (the fits of several imputed data
        sets), whose relative efficiency is taken as 1, as brms does.

    Returns
    -------
    PsisLoo
    """
    chains, draws, observations = log_lik.shape
    # a few copies of a block of observations' draws are held at once, not of all of them
    parts = [_psis_block(log_lik[:, :, block], efficiency_from_chains)
             for block in row_blocks(chains * draws, observations)]
    return PsisLoo(*(np.concatenate(values) for values in zip(*parts, strict=True)))


def loo_expectation(log_lik: np.ndarray, values: np.ndarray,
                    efficiency_from_chains: bool = True,
                    probs=None) -> tuple[np.ndarray, np.ndarray]:
    """Each observation's leave-one-out expectation of ``values``, as loo's ``E_loo()``: its
    draws weighted by the Pareto-smoothed importance weights of :func:`psis_loo`; or, given
    ``probs``, its weighted quantiles, interpolated as loo's (``type = "quantile"``).

    Parameters
    ----------
    log_lik
        Shape (chains, draws, observations).
    values
        Shape (chains x draws, observations), the draws in ``log_lik``'s order.
    efficiency_from_chains
        False where the chains sample different posteriors (the fits of several imputed data
        sets), whose relative efficiency is taken as 1, as brms does.

    Returns
    -------
    expectations, pareto_k : ndarray
        One value per observation each (one row of quantiles each, given ``probs``): the
        expectation, and the Pareto k of its weights.
    """
    chains, draws, observations = log_lik.shape
    expectations, shapes = [], []
    for block in row_blocks(chains * draws, observations):
        _, log_weights, pareto_k, _ = _smoothed_log_weights(log_lik[:, :, block],
                                                            efficiency_from_chains)
        # ArviZ's smoothed log weights of each observation are normalised
        weights = np.exp(log_weights)
        if probs is None:
            expectations.append(np.sum(weights * values[:, block].T, axis=1))
        else:
            expectations.append(np.array([_weighted_quantiles(row, w, probs) for row, w
                                          in zip(values[:, block].T, weights, strict=True)]))
        shapes.append(pareto_k)
    return np.concatenate(expectations), np.concatenate(shapes)


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, probs) -> np.ndarray:
    """loo's weighted quantiles: the values sorted, the quantile interpolated linearly between
    the two whose cumulative normalised weights enclose it; plain quantiles (R's type 7)
    where the weights are equal."""
    probs = np.atleast_1d(np.asarray(probs, dtype=float))
    if np.all(weights == weights[0]):
        return np.quantile(values, probs)
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(weights[order])
    cumulative = cumulative / cumulative[-1]
    result = np.empty(probs.size)
    for k, p in enumerate(probs):
        at = int(np.argmax(cumulative >= p))
        if at == 0:
            result[k] = values[0]
        else:
            lower = cumulative[at - 1]
            result[k] = values[at - 1] + (values[at] - values[at - 1]) * (p - lower) / (
                cumulative[at] - lower)
    return result


def _smoothed_log_weights(log_lik: np.ndarray,
                          efficiency_from_chains: bool = True) -> tuple[np.ndarray, ...]:
    """The draws (observations x draws) of ``log_lik``, their Pareto-smoothed normalised log
    importance weights, the Pareto k and the relative efficiency of each observation."""
    chains, draws, observations = log_lik.shape
    total = chains * draws
    flat = log_lik.reshape(total, observations).T
    efficiency = (relative_efficiency(log_lik) if efficiency_from_chains
                  else np.ones(observations))
    tail = np.ceil(np.minimum(total / 5.0, 3 * np.sqrt(total / efficiency)))
    log_weights = np.empty_like(flat)
    pareto_k = np.empty(observations)
    for length in np.unique(tail):
        columns = np.flatnonzero(tail == length)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_weights[columns], pareto_k[columns] = az.psislw(
                -flat[columns], reff=float(efficiency[columns[0]]))
    # a likelihood that barely varies (a right-censored row far below its mean, whose
    # survival is 1 to within 1e-200) leaves its tail with no spread in double precision,
    # where ArviZ's Pareto fit divides zero by zero: its ratios are taken unsmoothed and its
    # k is infinite, as loo 2.5 gives them
    degenerate = np.flatnonzero(np.isnan(log_weights).any(axis=1) & np.isfinite(flat).all(axis=1))
    if degenerate.size:
        ratios = -flat[degenerate]
        log_weights[degenerate] = ratios - log_sum_exp(ratios, axis=1)[:, None]
        pareto_k[degenerate] = np.inf
    return flat, log_weights, pareto_k, efficiency


def _psis_block(log_lik: np.ndarray, efficiency_from_chains: bool) -> tuple[np.ndarray, ...]:
    """:func:`psis_loo`'s four results for the observations of ``log_lik``."""
    flat, log_weights, pareto_k, efficiency = _smoothed_log_weights(log_lik,
                                                                    efficiency_from_chains)
    elpd = log_sum_exp(log_weights + flat, axis=1)
    squared_weights = np.exp(2 * log_weights)
    n_eff = efficiency / squared_weights.sum(axis=1)
    return elpd, pareto_k, n_eff, _elpd_mcse(flat, squared_weights, elpd, efficiency)


def _elpd_mcse(flat: np.ndarray, squared_weights: np.ndarray, elpd: np.ndarray,
               efficiency: np.ndarray) -> np.ndarray:
    """loo's Monte Carlo error of each elpd: the variance of the weighted mean of the
    likelihood, carried to its log through normal quantiles about its mean."""
    # each row scaled by its largest likelihood: the log's variance is unchanged
    shift = flat.max(axis=1, keepdims=True)
    likelihood = np.exp(flat - shift)
    mean = np.exp(elpd[:, None] - shift)
    spread = np.sqrt((squared_weights * (likelihood - mean) ** 2).sum(axis=1, keepdims=True))
    rank = np.arange(1, _MCSE_QUANTILES + 1)
    quantiles = norm.ppf((rank - _BLOM) / (_MCSE_QUANTILES - 2 * _BLOM + 1))
    values = mean + spread * quantiles
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.where(values > 0, np.log(values), np.nan)
    variance = np.nanvar(logs, axis=1, ddof=1)
    return np.sqrt(variance / efficiency)


def elpd_mcse(pareto_k: np.ndarray, mcse: np.ndarray) -> float:
    """The Monte Carlo error of the summed elpd_loo, NaN (loo's NA) when any Pareto k
    exceeds :data:`K_RELIABLE`."""
    if np.any(pareto_k > K_RELIABLE):
        return float("nan")
    return float(np.sqrt(np.sum(mcse ** 2)))
