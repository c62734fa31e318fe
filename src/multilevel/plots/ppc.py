"""Posterior predictive checks, as bayesplot draws them for brms's ``pp_check()``."""

from __future__ import annotations

import warnings
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
             prob_outer: float = 0.9, x: str | None = None, bins: int = 30,
             group: str | None = None) -> Figure:
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
        (empirical CDFs), ``"scatter_avg"`` (y against the replicates' mean),
        ``"rootogram"`` (for counts: the frequency of each count in y as bars and in the
        replicates as a line with an interval, on a square-root scale) or
        ``"loo_pit_overlay"`` (the density of the leave-one-out PIT values over densities of
        uniform samples, from ArviZ's ``plot_loo_pit``); each of ``dens_overlay``, ``stat``,
        ``intervals``, ``bars``, ``ecdf_overlay`` and ``scatter_avg`` also as
        ``"<type>_grouped"``, a panel per level of ``group``.
    ndraws
        Number of posterior draws to replicate the data with. As in brms, None means 10 for
        ``dens_overlay``, ``hist``, ``bars`` and ``ecdf_overlay`` and all draws for ``stat``,
        ``intervals``, ``scatter_avg``, ``rootogram`` and ``loo_pit_overlay`` (which
        takes every draw, as its importance weights belong to them).
    seed
        Seed for the choice of draws and the predictive draws.
    stat
        For ``type="stat"``: ``"mean"``, ``"sd"``, ``"var"``, ``"median"``, ``"mad"``,
        ``"min"``, ``"max"`` or a function of a 1-D array returning a number.
    prob, prob_outer
        For ``type="intervals"``, ``"bars"`` and ``"rootogram"``: probability mass of the
        inner and outer intervals (bayesplot's 0.5 and 0.9).
    x
        For ``type="intervals"``: a data column to put on the x axis instead of the
        observation number.
    bins
        Number of histogram bins for continuous responses (``hist``, ``stat``).
    group
        For the ``_grouped`` types (and only those, as in brms): the data column whose
        levels get a panel each.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MultilevelError
        For an unknown ``type`` or ``stat``, ``bars`` on a non-integer response,
        ``rootogram`` on one that is not a count, or a
        ``group`` missing, unknown or given to an ungrouped type.
    """
    fit.design.require_one_response_per_row("pp_check()")
    if type is None:
        type = "bars" if fit.design.categories else "dens_overlay"
    if type not in PP_CHECK_TYPES:
        raise MultilevelError(f"Unknown pp_check type {type!r}."
                              + close_matches(type, PP_CHECK_TYPES)
                              + " Valid types: " + ", ".join(PP_CHECK_TYPES) + ".")
    if type == "loo_pit_overlay" and ndraws is not None:
        raise MultilevelError("pp_check type 'loo_pit_overlay' uses every draw: the leave-one-"
                              "out weights belong to the whole posterior; leave ndraws=None.")
    if ndraws is None and type not in _ALL_DRAW_TYPES:
        ndraws = _DEFAULT_NDRAWS
    if ndraws is not None:
        ndraws = _check_positive_int(ndraws, "ndraws")
    kind = type.removesuffix("_grouped")
    levels = _group_levels(fit, type, group)
    statistic, stat_name = _statistic(stat) if kind == "stat" else (None, "")
    positions, xlabel = _positions(fit, x) if kind == "intervals" else (None, "")
    if kind in ("intervals", "bars", "rootogram"):
        prob, prob_outer = _check_prob(prob), _check_prob(prob_outer, "prob_outer")
    y = np.asarray(fit.design.y, dtype=float)
    yrep = np.asarray(fit.posterior_predict(ndraws=ndraws, seed=seed), dtype=float)
    discrete = fit.family.discrete
    label = _response_label(fit)

    def draw(ax, rows):
        """The check of ``kind`` on the data rows ``rows`` (a slice or a mask), on ``ax``."""
        observed, replicated = y[rows], yrep[:, rows]
        if kind == "dens_overlay":
            _pp_dens_overlay(ax, observed, replicated, discrete, label)
        elif kind == "stat":
            _pp_stat(ax, observed, replicated, statistic, stat_name, bins)
        elif kind == "intervals":
            _pp_intervals(ax, positions[rows], xlabel, observed, replicated, prob, prob_outer,
                          label)
        elif kind == "bars":
            _pp_bars(ax, observed, replicated, prob_outer, label)
        elif kind == "ecdf_overlay":
            _pp_ecdf(ax, observed, replicated, label)
        elif kind == "rootogram":
            _pp_rootogram(ax, observed, replicated, prob_outer, label)
        else:
            _pp_scatter_avg(ax, observed, replicated, label)

    if kind == "hist":
        return _pp_hist(y, yrep, discrete, label, bins)
    if kind == "loo_pit_overlay":
        figure, axes = _figure(1, 1, 6.0, 4.0)
        _pp_loo_pit_overlay(axes[0, 0], fit, y, yrep)
        return figure
    if levels is None:
        if kind == "scatter_avg":
            size = (5.0, 5.0)
        elif kind == "intervals":
            size = (min(12.0, max(6.0, len(y) / 25)), 4.0)
        else:
            size = (6.0, 4.0)
        figure, axes = _figure(1, 1, *size)
        draw(axes[0, 0], slice(None))
        return figure
    return _grouped(levels, draw)


def _group_levels(fit, type: str, group: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The level of each data row and the levels in order, for a grouped type; None for
    the others."""
    if not type.endswith("_grouped"):
        if group is not None:
            grouped = f"{type}_grouped"
            hint = (f" Use type={grouped!r} for a panel per level."
                    if grouped in PP_CHECK_TYPES else "")
            raise MultilevelError(f"group= applies to the grouped pp_check types only, not to "
                                  f"{type!r}.{hint}")
        return None
    if group is None:
        raise MultilevelError(f"Argument 'group' is required for pp_check type {type!r}: "
                              "the data column whose levels get a panel each.")
    # rows without a level get a panel of their own, "NA", as in bayesplot's facets
    codes, levels = pd.factorize(_data_column(fit, group, "group"), sort=True,
                                 use_na_sentinel=False)
    return codes, np.array(["NA" if pd.isna(level) else level for level in levels],
                           dtype=object)


def _grouped(levels: tuple[np.ndarray, np.ndarray], draw) -> Figure:
    """A panel per level, each drawn by ``draw(ax, rows)``, titled by its level, under one
    legend for the figure."""
    codes, names = levels
    nrows, ncols = _grid_shape(len(names), 4)
    figure, axes = _figure(nrows, ncols, 3.2 * ncols, 2.6 * nrows + 0.3)
    used = _drop_spare_axes(figure, axes, len(names))
    for number, (ax, name) in enumerate(zip(used, names, strict=True)):
        draw(ax, codes == number)
        title = ax.get_title()
        ax.set_title(f"{name}\n{title}" if title else str(name), fontsize=9)
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
    handles, labels = used[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside upper center", ncols=len(handles),
                      frameon=False, fontsize=8)
    return figure


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


def _pp_dens_overlay(ax, y, yrep, discrete: bool, label: str) -> None:
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


def _pp_stat(ax, y, yrep, statistic, name: str, bins: int) -> None:
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


def _positions(fit, x: str | None) -> tuple[np.ndarray, str]:
    """Where ``type="intervals"`` puts each observation, and the axis's label."""
    if x is None:
        return np.arange(1, fit.nobs + 1, dtype=float), "Observation"
    column = _data_column(fit, x, "x")
    if not pd.api.types.is_numeric_dtype(column.dtype):
        raise MultilevelError(f"x={x!r} must be a numeric column, it is {column.dtype}.")
    return column.to_numpy(dtype=float), x


def _data_column(fit, name: str, argument: str) -> pd.Series:
    """The fitted data's column ``name``, passed as ``argument``; an error naming the
    columns when there is none."""
    data = fit.design.data
    if name not in data.columns:
        raise MultilevelError(f"{argument}={name!r} is not a column of the fitted data."
                              + close_matches(name, data.columns)
                              + " Columns: " + ", ".join(map(str, data.columns)) + ".")
    return data[name]


def _pp_intervals(ax, positions, xlabel: str, y, yrep, prob: float, prob_outer: float,
                  label: str) -> None:
    inner = np.quantile(yrep, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    outer = np.quantile(yrep, [(1 - prob_outer) / 2, (1 + prob_outer) / 2], axis=0)
    median = np.median(yrep, axis=0)
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


def _frequency_table(values: np.ndarray, width: int) -> np.ndarray:
    """How often each of 0 .. width - 1 occurs in each row of the integer-valued
    ``values``, shape (rows, width)."""
    rows = len(values)
    # every row's counts at once: row r's values are offset into their own block
    offsets = np.arange(rows)[:, None] * width
    return np.bincount((values.astype(np.int64) + offsets).ravel(),
                       minlength=rows * width).reshape(rows, width)


def _pp_bars(ax, y, yrep, prob_outer: float, label: str) -> None:
    support = _integer_support(y, yrep)
    if support is None:
        raise MultilevelError(
            "pp_check type 'bars' needs an integer response with at most "
            f"{_MAX_INTEGER_SUPPORT + 1} distinct values; use 'dens_overlay' or 'hist'.")
    counts = _frequency_table(yrep - support[0], len(support))
    low, high = np.quantile(counts, [(1 - prob_outer) / 2, (1 + prob_outer) / 2], axis=0)
    observed = np.bincount((y - support[0]).astype(np.int64), minlength=len(support))
    ax.bar(support, observed, width=0.9, color=_LIGHT_HI, edgecolor=_MID, label="y")
    ax.vlines(support, low, high, color=_DARK, lw=1.5)
    ax.scatter(support, np.median(counts, axis=0), color=_DARK_HI, s=18, zorder=3,
               label=f"yrep median, {100 * prob_outer:.0f}% interval")
    ax.set_xlabel(label)
    ax.set_ylabel("count")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)


def _pp_rootogram(ax, y, yrep, prob_outer: float, label: str) -> None:
    """bayesplot's standing rootogram: observed frequencies as bars, the replicates' mean
    frequencies as a line with their interval, on a square-root axis."""
    # bayesplot asks the same of the replicates: a count response under a continuous
    # family would be truncated
    if not all(np.all(np.isfinite(v)) and np.all(v >= 0) and np.all(v == np.round(v))
               for v in (y, yrep)):
        raise MultilevelError("pp_check type 'rootogram' needs a count response and a count "
                              "family (non-negative integers in the data and the "
                              "predictions); use 'dens_overlay' or 'hist'.")
    width = int(max(y.max(), yrep.max())) + 1
    counts = _frequency_table(yrep, width)
    support = np.arange(width)
    low, high = np.quantile(counts, [(1 - prob_outer) / 2, (1 + prob_outer) / 2], axis=0)
    # the interval behind the observed bars, the expected line over both
    ax.fill_between(support, low, high, color=_MID, alpha=0.3, linewidth=0, zorder=1,
                    label=f"yrep {100 * prob_outer:.0f}% interval")
    ax.bar(support, np.bincount(y.astype(np.int64), minlength=width), width=0.9,
           color=_LIGHT_HI, edgecolor=_MID, alpha=0.8, zorder=2, label="y")
    ax.plot(support, counts.mean(axis=0), color=_DARK_HI, marker="o", ms=3, zorder=3,
            label="yrep expected")
    ax.set_yscale("function", functions=(np.sqrt, np.square))
    ax.set_xlabel(label)
    ax.set_ylabel("count")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)


def _pp_loo_pit_overlay(ax, fit, y, yrep) -> None:
    """ArviZ's LOO-PIT plot: the density of each observation's leave-one-out probability
    integral transform, over the densities of 100 uniform samples of as many values."""
    import arviz as az

    with warnings.catch_warnings():
        # brms also smooths these weights without relative efficiencies and hides loo's
        # warnings about them; loo() reports the Pareto k
        warnings.simplefilter("ignore")
        log_weights, _ = az.psislw(-fit.log_lik().T)
        az.plot_loo_pit(y=y, y_hat=yrep.T, log_weights=log_weights, ax=ax, color=_MID_HI,
                        plot_unif_kwargs={"color": _LIGHT_HI, "alpha": 0.5})
    ax.set_xlabel("LOO-PIT")
    ax.spines[["top", "right"]].set_visible(False)


def _pp_ecdf(ax, y, yrep, label: str) -> None:
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


def _pp_scatter_avg(ax, y, yrep, label: str) -> None:
    average = yrep.mean(axis=0)
    ax.scatter(average, y, s=12, color=_MID_HI, alpha=0.7)
    low = float(min(average.min(), y.min()))
    high = float(max(average.max(), y.max()))
    ax.plot([low, high], [low, high], color="0.5", ls="--", lw=1)
    ax.set_xlabel("Average yrep")
    ax.set_ylabel(label)
    ax.spines[["top", "right"]].set_visible(False)
