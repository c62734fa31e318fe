"""Posterior predictive checks, as bayesplot draws them for brms's ``pp_check()``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..errors import MultilevelError, close_matches
from .common import (
    _ALL_DRAW_TYPES,
    _DARK,
    _DARK_HI,
    _DEFAULT_NDRAWS,
    _LIGHT,
    _LIGHT_HI,
    _MAX_INTEGER_SUPPORT,
    _MID,
    _MID_HI,
    _STATS,
    PP_CHECK_TYPES,
    _check_positive_int,
    _check_prob,
    _density,
    _drop_spare_axes,
    _figure,
    _frequencies,
    _grid_shape,
    _integer_support,
    _response_label,
)


def pp_check(fit, type: str | None = None, ndraws: int | None = None,
             seed: int | None = None, stat: str | Callable = "mean", prob: float = 0.5,
             prob_outer: float = 0.9, x: str | None = None, bins: int = 30) -> Figure:
    """Posterior predictive check: the data against replicates from the posterior predictive.

    As brms's ``pp_check()``, which draws with bayesplot's ``ppc_*`` functions.

    Parameters
    ----------
    fit
        The fitted model.
    type
        None for ``"bars"`` with an ordinal response and ``"dens_overlay"`` otherwise;
        ``"dens_overlay"`` (density of y over the densities of replicates; frequency
        polygons for discrete responses), ``"hist"`` (histograms of y and of replicates in
        panels), ``"stat"`` (histogram of a statistic of the replicates with the observed
        statistic marked), ``"intervals"`` (per-observation predictive intervals with y),
        ``"bars"`` (bar chart of a discrete y with replicate counts), ``"ecdf_overlay"``
        (empirical CDFs) or ``"scatter_avg"`` (y against the replicates' mean).
    ndraws
        Number of posterior draws to replicate the data with. As in brms, None means 10 for
        ``dens_overlay``, ``hist``, ``bars`` and ``ecdf_overlay`` and all draws for ``stat``,
        ``intervals`` and ``scatter_avg``.
    seed
        Seed for the choice of draws and the predictive draws.
    stat
        For ``type="stat"``: ``"mean"``, ``"sd"``, ``"var"``, ``"median"``, ``"mad"``,
        ``"min"``, ``"max"`` or a function of a 1-D array returning a number.
    prob, prob_outer
        For ``type="intervals"`` and ``"bars"``: probability mass of the inner and outer
        intervals (bayesplot's 0.5 and 0.9).
    x
        For ``type="intervals"``: a data column to put on the x axis instead of the
        observation number.
    bins
        Number of histogram bins for continuous responses (``hist``, ``stat``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MultilevelError
        For an unknown ``type`` or ``stat``, or ``bars`` on a non-integer response.
    """
    if type is None:
        type = "bars" if fit.design.categories else "dens_overlay"
    if type not in PP_CHECK_TYPES:
        raise MultilevelError(f"Unknown pp_check type {type!r}."
                              + close_matches(type, PP_CHECK_TYPES)
                              + " Valid types: " + ", ".join(PP_CHECK_TYPES) + ".")
    if ndraws is None and type not in _ALL_DRAW_TYPES:
        ndraws = _DEFAULT_NDRAWS
    if ndraws is not None:
        ndraws = _check_positive_int(ndraws, "ndraws")
    statistic, stat_name = _statistic(stat) if type == "stat" else (None, "")
    y = np.asarray(fit.design.y, dtype=float)
    yrep = np.asarray(fit.posterior_predict(ndraws=ndraws, seed=seed), dtype=float)
    discrete = fit.family.discrete
    label = _response_label(fit)
    if type == "dens_overlay":
        return _pp_dens_overlay(y, yrep, discrete, label)
    if type == "hist":
        return _pp_hist(y, yrep, discrete, label, bins)
    if type == "stat":
        return _pp_stat(y, yrep, statistic, stat_name, bins)
    if type == "intervals":
        return _pp_intervals(fit, y, yrep, _check_prob(prob), _check_prob(prob_outer, "prob_outer"),
                             x, label)
    if type == "bars":
        return _pp_bars(y, yrep, _check_prob(prob_outer, "prob_outer"), label)
    if type == "ecdf_overlay":
        return _pp_ecdf(y, yrep, label)
    return _pp_scatter_avg(y, yrep, label)


def _statistic(stat) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """A function giving the statistic of each row of a 2-D array, and its name."""
    if callable(stat):
        def rows(values: np.ndarray) -> np.ndarray:
            return np.array([float(stat(row)) for row in values])
        return rows, getattr(stat, "__name__", "stat")
    if stat not in _STATS:
        raise MultilevelError(f"Unknown statistic {stat!r}; use one of "
                              + ", ".join(_STATS) + " or a function of a 1-D array.")
    function = _STATS[stat]
    return (lambda values: function(values, axis=1)), stat


def _pp_dens_overlay(y, yrep, discrete: bool, label: str) -> Figure:
    figure, axes = _figure(1, 1, 6, 4)
    ax = axes[0, 0]
    support = _integer_support(y, yrep) if discrete else None
    if support is not None:
        # a density of counts would smear mass between integers; relative frequencies do not
        for k, draw in enumerate(yrep):
            ax.plot(support, _frequencies(draw, support), drawstyle="steps-mid",
                    color=_MID, lw=0.8, alpha=0.7, label="yrep" if k == 0 else "_nolegend_")
        ax.plot(support, _frequencies(y, support), drawstyle="steps-mid", color=_DARK_HI,
                lw=2, label="y")
        ax.set_ylabel("relative frequency")
    else:
        finite = np.concatenate([y, yrep.ravel()])
        finite = finite[np.isfinite(finite)]
        grid = np.linspace(finite.min(), finite.max(), 512)
        for k, draw in enumerate(yrep):
            ax.plot(grid, _density(draw, grid), color=_MID, lw=0.8, alpha=0.7,
                    label="yrep" if k == 0 else "_nolegend_")
        ax.plot(grid, _density(y, grid), color=_DARK_HI, lw=2, label="y")
        ax.set_yticks([])
    ax.set_xlabel(label)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)
    return figure


def _hist_edges(values: np.ndarray, discrete: bool, bins: int) -> np.ndarray:
    support = _integer_support(values) if discrete else None
    if support is not None:
        return np.append(support, support[-1] + 1) - 0.5
    finite = values[np.isfinite(values)]
    return np.histogram_bin_edges(finite, bins=bins)


def _pp_hist(y, yrep, discrete: bool, label: str, bins: int) -> Figure:
    panels = 1 + len(yrep)
    nrows, ncols = _grid_shape(panels, 4)
    figure, axes = _figure(nrows, ncols, 2.4 * ncols, 1.9 * nrows + 0.3, sharex=True)
    used = _drop_spare_axes(figure, axes, panels)
    edges = _hist_edges(np.concatenate([y, yrep.ravel()]), discrete, bins)
    for k, ax in enumerate(used):
        values, title = (y, "y") if k == 0 else (yrep[k - 1], f"yrep {k}")
        ax.hist(values, bins=edges, color=_DARK if k == 0 else _LIGHT_HI,
                edgecolor=_DARK_HI if k == 0 else _MID, linewidth=0.5)
        ax.set_title(title, fontsize=9)
        ax.set_yticks([])
        ax.spines[["top", "right", "left"]].set_visible(False)
    figure.supxlabel(label)
    return figure


def _pp_stat(y, yrep, statistic, name: str, bins: int) -> Figure:
    figure, axes = _figure(1, 1, 6, 4)
    ax = axes[0, 0]
    replicated = np.asarray(statistic(yrep), dtype=float)
    observed = float(statistic(y[None, :])[0])
    edges = np.histogram_bin_edges(replicated[np.isfinite(replicated)], bins=bins)
    if edges[0] == edges[-1]:
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    ax.hist(replicated, bins=edges, color=_LIGHT_HI, edgecolor=_MID, linewidth=0.5,
            label="T(yrep)")
    ax.axvline(observed, color=_DARK_HI, lw=2, label="T(y)")
    # the share of replicates at least as extreme is the posterior predictive p-value
    p_value = float(np.mean(replicated >= observed))
    ax.set_title(f"T = {name}; P(T(yrep) >= T(y)) = {p_value:.2f}", fontsize=10)
    ax.set_xlabel(f"T = {name}")
    ax.set_yticks([])
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.legend(frameon=False)
    return figure


def _pp_intervals(fit, y, yrep, prob: float, prob_outer: float, x: str | None,
                  label: str) -> Figure:
    if x is None:
        positions, xlabel = np.arange(1, len(y) + 1, dtype=float), "Observation"
    else:
        data = fit.design.data
        if x not in data.columns:
            raise MultilevelError(f"x={x!r} is not a column of the fitted data."
                                  + close_matches(x, data.columns)
                                  + " Columns: " + ", ".join(map(str, data.columns)) + ".")
        if not pd.api.types.is_numeric_dtype(data[x].dtype):
            raise MultilevelError(f"x={x!r} must be a numeric column, it is {data[x].dtype}.")
        positions, xlabel = data[x].to_numpy(dtype=float), x
    inner = np.quantile(yrep, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    outer = np.quantile(yrep, [(1 - prob_outer) / 2, (1 + prob_outer) / 2], axis=0)
    median = np.median(yrep, axis=0)
    width = min(12.0, max(6.0, len(y) / 25))
    figure, axes = _figure(1, 1, width, 4)
    ax = axes[0, 0]
    ax.vlines(positions, outer[0], outer[1], color=_LIGHT_HI, lw=1,
              label=f"yrep {100 * prob_outer:.0f}%")
    ax.vlines(positions, inner[0], inner[1], color=_MID, lw=2.5,
              label=f"yrep {100 * prob:.0f}%")
    ax.scatter(positions, median, s=12, facecolor=_LIGHT, edgecolor=_MID_HI, linewidth=0.6,
               zorder=3, label="yrep median")
    ax.scatter(positions, y, s=10, color=_DARK_HI, zorder=4, label="y")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(label)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, ncols=4, loc="upper left", bbox_to_anchor=(0, 1.12))
    return figure


def _pp_bars(y, yrep, prob_outer: float, label: str) -> Figure:
    support = _integer_support(y, yrep)
    if support is None:
        raise MultilevelError(
            "pp_check type 'bars' needs an integer response with at most "
            f"{_MAX_INTEGER_SUPPORT + 1} distinct values; use 'dens_overlay' or 'hist'.")
    counts = np.stack([np.bincount((draw - support[0]).astype(np.int64), minlength=len(support))
                       for draw in yrep])
    low, high = np.quantile(counts, [(1 - prob_outer) / 2, (1 + prob_outer) / 2], axis=0)
    figure, axes = _figure(1, 1, 6, 4)
    ax = axes[0, 0]
    observed = np.bincount((y - support[0]).astype(np.int64), minlength=len(support))
    ax.bar(support, observed, width=0.9, color=_LIGHT_HI, edgecolor=_MID, label="y")
    ax.vlines(support, low, high, color=_DARK, lw=1.5)
    ax.scatter(support, np.median(counts, axis=0), color=_DARK_HI, s=18, zorder=3,
               label=f"yrep median, {100 * prob_outer:.0f}% interval")
    ax.set_xlabel(label)
    ax.set_ylabel("count")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)
    return figure


def _pp_ecdf(y, yrep, label: str) -> Figure:
    figure, axes = _figure(1, 1, 6, 4)
    ax = axes[0, 0]
    for k, draw in enumerate(yrep):
        ordered = np.sort(draw)
        ax.step(ordered, np.arange(1, len(ordered) + 1) / len(ordered), where="post",
                color=_MID, lw=0.8, alpha=0.7, label="yrep" if k == 0 else "_nolegend_")
    ordered = np.sort(y)
    ax.step(ordered, np.arange(1, len(ordered) + 1) / len(ordered), where="post",
            color=_DARK_HI, lw=2, label="y")
    ax.set_xlabel(label)
    ax.set_ylabel("ECDF")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)
    return figure


def _pp_scatter_avg(y, yrep, label: str) -> Figure:
    figure, axes = _figure(1, 1, 5, 5)
    ax = axes[0, 0]
    average = yrep.mean(axis=0)
    ax.scatter(average, y, s=12, color=_MID_HI, alpha=0.7)
    low = float(min(average.min(), y.min()))
    high = float(max(average.max(), y.max()))
    ax.plot([low, high], [low, high], color="0.5", ls="--", lw=1)
    ax.set_xlabel("Average yrep")
    ax.set_ylabel(label)
    ax.spines[["top", "right"]].set_visible(False)
    return figure
