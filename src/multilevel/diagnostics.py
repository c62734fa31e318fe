"""Convergence diagnostics of MCMC draws, vectorised over parameters.

Rank-normalised split R-hat, bulk ESS and tail ESS of Vehtari, Gelman, Simpson, Carpenter and
Bürkner (2021), computed for every parameter of a (chains, draws, parameters) array at once.
The numbers are those of ``arviz.rhat`` (method ``"rank"``) and ``arviz.ess`` (methods
``"bulk"`` and ``"tail"``) of arviz 0.23, which loops over parameters in Python; here each step
is one numpy operation over all parameters.

References
----------
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C. (2021).
Rank-normalization, folding, and localization: an improved R-hat for assessing convergence of
MCMC. *Bayesian Analysis*, 16(2), 667-718.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.fft import next_fast_len
from scipy.special import ndtri

__all__ = ["ess_bulk", "ess_tail", "rhat"]

# arviz's minimum number of draws (before splitting) for any of the three diagnostics
_MIN_DRAWS = 4
# Blom's offset in the normal scores (r - 3/8) / (n + 1/4)
_BLOM = 3 / 8
# arviz's tail ESS is the smaller of the ESS of these two quantile indicators
_TAIL_PROBS = (0.05, 0.95)


def rhat(values: ArrayLike) -> np.ndarray:
    """Rank-normalised split R-hat of every parameter.

    Parameters
    ----------
    values : array_like
        Draws, shape (chains, draws, parameters).

    Returns
    -------
    numpy.ndarray
        Shape (parameters,): the larger of the split R-hat of the rank-normalised draws and of
        the rank-normalised draws folded about their median. NaN for a parameter with a NaN
        draw, and for every parameter if there are fewer than 2 chains or fewer than 4 draws.

    Notes
    -----
    Equals ``arviz.rhat(..., method="rank")`` of arviz 0.23. Like arviz, a parameter whose
    draws are constant within every chain has a within-chain variance that is zero up to
    rounding, so its R-hat is a huge number or NaN depending on that rounding; the variance is
    accumulated in arviz's order so that the same rounding happens here.
    """
    values = np.asarray(values)
    # arviz folds in the precision of the draws, which matters for ties of float32 draws
    precision = values.dtype if values.dtype.kind == "f" else float
    return _per_parameter(values, lambda x: _rhat(x, precision), min_chains=2)


def ess_bulk(values: ArrayLike) -> np.ndarray:
    """Bulk effective sample size of every parameter.

    Parameters
    ----------
    values : array_like
        Draws, shape (chains, draws, parameters).

    Returns
    -------
    numpy.ndarray
        Shape (parameters,): the ESS of the rank-normalised split chains. NaN for a parameter
        with a NaN draw, and for every parameter if there are fewer than 4 draws.

    Notes
    -----
    Equals ``arviz.ess(..., method="bulk")`` of arviz 0.23: Geyer's initial monotone sequence
    on the FFT autocovariance, capped at ``S log10(S)`` for ``S`` split draws in all; a
    constant parameter has ESS ``S``.
    """
    return _per_parameter(values, lambda x: _ess(_rank_normalised(x)[2]))


def ess_tail(values: ArrayLike) -> np.ndarray:
    """Tail effective sample size of every parameter.

    Parameters
    ----------
    values : array_like
        Draws, shape (chains, draws, parameters).

    Returns
    -------
    numpy.ndarray
        Shape (parameters,): the smaller of the ESS of the indicators of the draws at or below
        the 5% and at or below the 95% quantile. NaN for a parameter with a NaN draw, and for
        every parameter if there are fewer than 4 draws.

    Notes
    -----
    Equals ``arviz.ess(..., method="tail")`` of arviz 0.23. The quantiles are R's type 7 of all
    draws, before the chains are split (so they include the middle draw of an odd number of
    draws); the indicators are then split like the draws for the bulk ESS.
    """
    return _per_parameter(values, _ess_tail)


def _per_parameter(values: ArrayLike, compute, min_chains: int = 1) -> np.ndarray:
    """``compute`` of the (parameters, chains, draws) draws, NaN where arviz gives NaN.

    That is every parameter when there are fewer than ``min_chains`` chains or fewer than
    :data:`_MIN_DRAWS` draws, and each parameter with a NaN draw.
    """
    x = _parameter_rows(values)
    n_params, n_chains, n_draws = x.shape
    if n_chains < min_chains or n_draws < _MIN_DRAWS or n_params == 0:
        return np.full(n_params, np.nan)
    result = compute(x)
    result[_has_nan(x)] = np.nan
    return result


def _rhat(x: np.ndarray, precision) -> np.ndarray:
    """R-hat of (parameters, chains, draws), folding in ``precision``."""
    order, ordered, bulk = _rank_normalised(x)

    # the split array has an even number of values, so np.median is the mean of the two middle
    # ones; the folded values fall towards the middle positions and rise after them, so with
    # the lower half reversed they form two ascending runs
    middle = ordered.shape[1] // 2
    low_first = np.concatenate([ordered[:, middle - 1 :: -1], ordered[:, middle:]], axis=1)
    low_first = low_first.astype(precision, copy=False)
    with np.errstate(invalid="ignore"):
        median = (low_first[:, :1] + low_first[:, middle : middle + 1]) / low_first.dtype.type(2)
        folded = np.abs(low_first - median).astype(float, copy=False)
    unfolded = np.concatenate([order[:, middle - 1 :: -1], order[:, middle:]], axis=1)
    folded_order, folded = _sort_rows(folded, kind="stable")
    tail_scores = _normal_scores(folded)
    tail = _scatter(tail_scores, unfolded.take(folded_order)).reshape(bulk.shape)

    with np.errstate(divide="ignore", invalid="ignore"):
        rhat_bulk = _split_rhat(bulk)
        rhat_tail = _split_rhat(tail)
    # infinite draws can fold to NaN (inf - inf); arviz then drops the folded R-hat
    rhat_tail[np.isnan(folded).any(axis=1)] = np.nan
    # Python's max(bulk, tail), as arviz takes it: bulk unless tail is larger
    return np.where(rhat_tail > rhat_bulk, rhat_tail, rhat_bulk)


def _ess_tail(x: np.ndarray) -> np.ndarray:
    """Tail ESS of (parameters, chains, draws)."""
    x = np.ascontiguousarray(x)
    n_params, n_chains, n_draws = x.shape
    quantiles = _type7_quantiles(x.reshape(n_params, -1), _TAIL_PROBS)
    below = x[None] <= quantiles.T[:, :, None, None]
    split = _split_chains(below.reshape(-1, n_chains, n_draws)).astype(float)
    low, high = _ess(split).reshape(len(_TAIL_PROBS), n_params)
    # Python's min(low, high), as arviz takes it: low unless high is smaller
    return np.where(high < low, high, low)


def _parameter_rows(values: ArrayLike) -> np.ndarray:
    """Draws as a (parameters, chains, draws) float view, arviz's layout."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 3:
        raise ValueError(
            f"expected an array of shape (chains, draws, parameters), got shape {values.shape}"
        )
    return np.moveaxis(values, -1, 0)


def _has_nan(x: np.ndarray) -> np.ndarray:
    return np.isnan(x).any(axis=(1, 2))


def _split_chains(x: np.ndarray) -> np.ndarray:
    """First halves of all chains, then second halves; the middle draw of an odd count is lost."""
    n_draws = x.shape[-1]
    half = n_draws // 2
    return np.concatenate([x[..., :half], x[..., n_draws - half :]], axis=-2)


def _rank_normalised(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The split chains' normal scores, with the sorting order and the sorted draws.

    Returns the flat indices sorting each parameter's split draws, those draws sorted (both
    (parameters, split draws)) and the scores in the split chains' shape.
    """
    split = _split_chains(x)
    order, ordered = _sort_rows(split.reshape(len(split), -1))
    return order, ordered, _scatter(_normal_scores(ordered), order).reshape(split.shape)


def _sort_rows(rows: np.ndarray, kind: str = "quicksort") -> tuple[np.ndarray, np.ndarray]:
    """Each row sorted, and the flat indices into ``rows`` that sort it.

    ``kind="stable"`` (timsort) suits rows made of a few ascending runs, which it merges.
    """
    order = np.argsort(rows, axis=1, kind=kind)
    order += np.arange(0, rows.size, rows.shape[1])[:, None]
    return order, rows.take(order)


def _scatter(ordered: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Put values computed in sorted order back at their original positions."""
    result = np.empty(ordered.shape)
    result.ravel()[order.ravel()] = ordered.ravel()
    return result


def _normal_scores(ordered: np.ndarray) -> np.ndarray:
    """Normal scores of rows sorted ascending, ties sharing their average rank."""
    n_rows, n = ordered.shape
    # the same float operations as arviz's, so each score is bitwise arviz's; the table is
    # indexed by twice the average rank, minus 2
    ranks = (np.arange(2 * n - 1) + 2) / 2
    table = ndtri((ranks - _BLOM) / (n - 2 * _BLOM + 1))
    scores = np.broadcast_to(table[::2], ordered.shape)
    row, column = np.nonzero(ordered[:, 1:] == ordered[:, :-1])
    if row.size == 0:
        return scores
    # each tie links a value with the next; a run of links is one tied group, whose values
    # all get the score of the group's first plus last position
    scores = scores.copy()
    link = row * n + column
    opens = np.ones(link.size, dtype=bool)
    np.not_equal(link[1:], link[:-1] + 1, out=opens[1:])
    closes = np.ones_like(opens)
    closes[:-1] = opens[1:]
    first = link[opens]
    last = link[closes] + 1
    group_scores = table[first % n + last % n]
    flat = scores.ravel()
    flat[link] = group_scores[np.cumsum(opens) - 1]
    flat[last] = group_scores
    return scores


def _sequential_variance(x: np.ndarray, ddof: int) -> np.ndarray:
    """Variance along the last axis as arviz's numba kernel computes it.

    arviz (with numba, which this package installs) accumulates the sum and the sum of
    squares left to right and takes E[x^2] - E[x]^2. For draws constant within a chain that
    leaves rounding noise instead of zero, and R-hat is then whatever that noise makes it, so
    the order of the additions is kept: numpy adds left to right along an axis that is not
    the last one in memory (along the last one it sums pairwise).
    """
    n = x.shape[-1]
    columns = np.ascontiguousarray(np.moveaxis(x, -1, 0))
    total = np.add.reduce(columns, axis=0)
    total_sq = np.add.reduce(columns * columns, axis=0)
    variance = total_sq / n - (total / n) ** 2
    return variance * (n / (n - ddof))


def _split_rhat(z: np.ndarray) -> np.ndarray:
    """R-hat of (parameters, chains, draws), chains already split."""
    n_draws = z.shape[-1]
    chain_mean = z.mean(axis=-1)
    between = n_draws * _sequential_variance(chain_mean, ddof=1)
    within = _sequential_variance(z, ddof=1).mean(axis=-1)
    return np.sqrt((between / within + n_draws - 1) / n_draws)


def _ess(x: np.ndarray) -> np.ndarray:
    """ESS of (rows, chains, draws), chains already split, by Geyer's initial monotone sequence."""
    n_rows, n_chains, n_draws = x.shape
    size = n_chains * n_draws
    flat = x.reshape(n_rows, -1)
    constant = (flat.max(axis=1) - flat.min(axis=1)) < np.finfo(float).resolution

    chain_mean = x.mean(axis=-1)
    n_fft = next_fast_len(2 * n_draws, real=True)
    spectrum = np.fft.rfft(x - chain_mean[..., None], n=n_fft, axis=-1)
    # arviz transforms back each chain's autocovariance and then averages over chains;
    # averaging the power spectra first needs one inverse transform per row instead of one per
    # chain, and changes the result only by rounding
    power = (
        np.einsum("rcf,rcf->rf", spectrum.real, spectrum.real)
        + np.einsum("rcf,rcf->rf", spectrum.imag, spectrum.imag)
    ) / n_chains
    acov = np.fft.irfft(power, n=n_fft, axis=-1)[:, :n_draws] / n_draws

    mean_var = acov[:, 0] * n_draws / (n_draws - 1.0)
    var_plus = mean_var * (n_draws - 1.0) / n_draws
    var_plus += _sequential_variance(chain_mean, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[:, None] - acov) / var_plus[:, None]
    rho[:, 0] = 1.0

    # arviz's loop reads pairs (rho[2m], rho[2m+1]) while m <= n_pairs and the previous pair
    # sum is positive; it stops after the first non-positive pair or after n_pairs pairs
    n_pairs = len(range(1, n_draws - 3, 2))
    pair_sums = rho[:, 0 : 2 * n_pairs + 2 : 2] + rho[:, 1 : 2 * n_pairs + 2 : 2]
    positive = pair_sums[:, :n_pairs] > 0
    if n_pairs:
        n_kept = np.where(positive.all(axis=1), n_pairs, np.argmin(positive, axis=1))
    else:
        n_kept = np.zeros(n_rows, dtype=int)
    # initial monotone sequence: each kept pair sum capped by the previous ones
    monotone = np.minimum.accumulate(pair_sums[:, :n_pairs], axis=1)
    kept = np.arange(n_pairs) < n_kept[:, None]
    kept_sum = np.where(kept, monotone, 0.0).sum(axis=1)
    # the first autocorrelation of the last pair read counts once, if that pair sum was not
    # negative or the autocorrelation itself is positive
    row = np.arange(n_rows)
    last_even = rho[row, 2 * n_kept]
    last_pair = pair_sums[row, n_kept]
    with np.errstate(invalid="ignore"):
        last = np.where((last_pair >= 0) | (last_even > 0), last_even, 0.0)
    tau = -1.0 + 2.0 * kept_sum + last
    floor = 1 / np.log10(size)
    tau = np.where(floor > tau, floor, tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        ess = size / tau
    ess[np.isnan(rho[:, 1])] = np.nan
    ess[constant] = size
    return ess


def _type7_quantiles(rows: np.ndarray, probs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of each row as scipy's ``mquantiles(alphap=1, betap=1)``, which arviz uses.

    Its interpolation ``(1 - g) x[k-1] + g x[k]`` is not numpy's, and can differ from it in the
    last bit, which would move draws tied at a quantile across the indicator's threshold.
    """
    n = rows.shape[1]
    p = np.asarray(probs, dtype=float)
    # scipy's n p + alphap + p (1 - alphap - betap) with alphap = betap = 1, bit for bit
    aleph = n * p + (1.0 - p)
    k = np.floor(aleph.clip(1, n - 1)).astype(int)
    gamma = (aleph - k).clip(0, 1)
    part = np.partition(rows, np.unique(np.concatenate([k - 1, k])), axis=1)
    with np.errstate(invalid="ignore"):
        return (1.0 - gamma) * part[:, k - 1] + gamma * part[:, k]
