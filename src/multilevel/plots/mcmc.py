"""brms's ``mcmc_plot()``: bayesplot's plots of posterior draws, one kind per ``type``."""

from __future__ import annotations

from collections.abc import Sequence

import arviz as az
import numpy as np
from matplotlib.figure import Figure

from ..errors import MultilevelError
from .common import (
    _DARK,
    _DARK_HI,
    _LIGHT,
    _LIGHT_HI,
    _MID,
    _MID_HI,
    _PALETTE,
    _density,
    _figure,
)
from .trace import density_grid, draw_density, draw_traces, select_variables

MCMC_PLOT_TYPES = ("intervals", "areas", "hist", "dens", "dens_overlay", "trace", "acf",
                   "rhat", "neff", "pairs")
# bayesplot's thresholds of its R-hat and ESS ratio colours
_RHAT_LEVELS = (1.05, 1.1)
_NEFF_LEVELS = (0.1, 0.5)
_LAGS = 20
# the width of the one-panel plots, in inches
_WIDTH = 6.0


def _intervals(names, draws, prob, prob_outer, areas: bool):
    figure, axes = _figure(1, 1, _WIDTH, 0.35 * len(names) + 0.8)
    ax = axes[0, 0]
    grids, heights = {}, {}
    if areas:
        for name in names:
            values = draws[name].ravel()
            grids[name] = np.linspace(*_central(values, prob_outer), 256)
            heights[name] = _density(values, grids[name])
        # bayesplot's "equal area": every density on one scale
        scale = 0.9 / max(float(np.max(h)) for h in heights.values())
    for row, name in enumerate(names):
        values = draws[name].ravel()
        y = len(names) - 1 - row
        inner, outer = _central(values, prob), _central(values, prob_outer)
        median = float(np.median(values))
        if areas:
            grid, height = grids[name], heights[name] * scale
            ax.plot(grid, y + height, color=_DARK, lw=1)
            shaded = (grid >= inner[0]) & (grid <= inner[1])
            ax.fill_between(grid[shaded], y, y + height[shaded], color=_LIGHT_HI, lw=0)
            ax.plot([median, median], [y, y + float(np.interp(median, grid, height))],
                    color=_DARK, lw=1.2)
            ax.plot(outer, [y, y], color=_DARK, lw=0.6)
        else:
            ax.plot(outer, [y, y], color=_MID, lw=1)
            ax.plot(inner, [y, y], color=_MID_HI, lw=3, solid_capstyle="butt")
            ax.plot([median], [y], "o", color=_DARK, markerfacecolor=_LIGHT, markersize=6)
    ax.set_yticks(range(len(names)), list(reversed(names)), fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def _central(values: np.ndarray, prob: float) -> np.ndarray:
    """The central interval of probability ``prob``; the whole range for 1."""
    return np.quantile(values, [(1 - prob) / 2, (1 + prob) / 2])


def _facets(names, draws, draw_one):
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure, axes = _figure(rows, columns, 3 * columns, 2.0 * rows + 0.4)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(names):
            ax.set_visible(False)
            continue
        draw_one(ax, draws[names[k]])
        ax.set_title(names[k], fontsize=9, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
    return figure


def _hist(ax, values):
    ax.hist(values.ravel(), bins=30, color=_LIGHT_HI, edgecolor=_MID)
    ax.set_yticks([])


def _dens_overlay(ax, values):
    grid = density_grid(values.ravel())
    for chain in range(values.shape[0]):
        ax.plot(grid, _density(values[chain], grid), color=_PALETTE[chain % len(_PALETTE)],
                lw=1, label=f"chain {chain + 1}")
    ax.set_yticks([])


def _acf(ax, values):
    lags = np.arange(_LAGS + 1)
    width = 0.8 / values.shape[0]
    for chain in range(values.shape[0]):
        correlations = az.autocorr(values[chain])[:_LAGS + 1]
        ax.bar(lags + (chain - (values.shape[0] - 1) / 2) * width, correlations, width=width,
               color=_PALETTE[chain % len(_PALETTE)], label=f"chain {chain + 1}")
    ax.axhline(0.0, color=_DARK, lw=0.5)
    ax.set_xlabel("lag", fontsize=8)


def _diagnostic(names, values, levels, xlabel, low_is_good):
    """R-hat or ESS ratios as bayesplot draws them: a point per parameter, coloured by the
    band its value falls in."""
    figure, axes = _figure(1, 1, _WIDTH, 0.3 * len(names) + 0.9)
    ax = axes[0, 0]
    colours = (_LIGHT_HI, _MID, _DARK_HI)
    for row, value in enumerate(values):
        band = int(np.searchsorted(levels, value))
        colour = colours[band] if low_is_good else colours[len(levels) - band]
        y = len(names) - 1 - row
        # lines start at R-hat's ideal 1, ESS ratios at 0
        ax.plot([1 if low_is_good else 0, value], [y, y], color=colour, lw=1)
        ax.plot([value], [y], "o", color=colour, markersize=6)
    for level in levels:
        ax.axvline(level, color=_MID, lw=0.6, ls="--")
    ax.set_yticks(range(len(names)), list(reversed(names)), fontsize=8)
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def _pairs(names, draws):
    size = len(names)
    figure, axes = _figure(size, size, 2.2 * size + 0.4, 2.2 * size + 0.4)
    for i, row_name in enumerate(names):
        for j, column_name in enumerate(names):
            ax = axes[i, j]
            if i == j:
                _hist(ax, draws[row_name])
                ax.set_title(row_name, fontsize=8, loc="left")
            else:
                ax.plot(draws[column_name].ravel(), draws[row_name].ravel(), ".",
                        color=_MID, markersize=1.5, alpha=0.4)
            ax.spines[["top", "right"]].set_visible(False)
    return figure


def mcmc_plot(fit, variables: str | Sequence[str] | None = None, type: str = "intervals",
              regex: bool = False, prob: float = 0.5,
              prob_outer: float | None = None) -> Figure:
    """Plots of the posterior draws, as brms's ``mcmc_plot()`` draws them with bayesplot.

    Parameters
    ----------
    fit
        The fitted model.
    variables
        Parameter names as in ``fit.as_draws_df()``; None takes those ``plot()`` shows (the
        population effects, sds, correlations and family parameters).
    type
        ``"intervals"`` (brms's default: the median, a ``prob`` and a ``prob_outer``
        central interval per parameter), ``"areas"`` (densities over ``prob_outer``, the
        ``prob`` interval shaded, all on one scale), ``"hist"``, ``"dens"``,
        ``"dens_overlay"`` (a density per chain), ``"trace"``, ``"acf"`` (each chain's
        autocorrelations to lag 20), ``"rhat"`` (:meth:`Fit.rhat`, brms's split R-hat),
        ``"neff"`` (:meth:`Fit.neff_ratio`) or ``"pairs"``.
    regex
        Treat each entry of ``variables`` as a regular expression.
    prob, prob_outer
        The inner and outer intervals' probabilities of ``"intervals"`` and ``"areas"``,
        bayesplot's: 0.5, and 0.9 for intervals, 1 (the whole range) for areas.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MultilevelError
        For an unknown type, a name that matches no parameter, or probabilities outside
        (0, 1) with ``prob`` above ``prob_outer``.
    """
    if type not in MCMC_PLOT_TYPES:
        raise MultilevelError(f"mcmc_plot() type must be one of {', '.join(MCMC_PLOT_TYPES)}; "
                              f"got {type!r}.")
    if prob_outer is None:
        prob_outer = 1.0 if type == "areas" else 0.9
    if not 0 < prob <= prob_outer <= 1:
        raise MultilevelError(f"prob and prob_outer must satisfy 0 < prob <= prob_outer <= 1; "
                              f"got {prob} and {prob_outer}.")
    names = select_variables(fit, variables, regex)
    columns = fit.draws.names
    draws = {name: fit.draws.values[:, :, columns.index(name)] for name in names}

    if type in ("intervals", "areas"):
        return _intervals(names, draws, prob, prob_outer, type == "areas")
    if type == "pairs":
        return _pairs(names, draws)
    if type == "rhat":
        if fit.draws.values.shape[0] < 2:
            raise MultilevelError("R-hat compares chains; this fit has one chain.")
        return _diagnostic(names, fit.rhat(names).to_numpy(), _RHAT_LEVELS, "R-hat", True)
    if type == "neff":
        return _diagnostic(names, fit.neff_ratio(names).to_numpy(), _NEFF_LEVELS,
                           "ESS / draws", False)
    drawers = {"hist": _hist, "dens": draw_density, "dens_overlay": _dens_overlay,
               "trace": draw_traces, "acf": _acf}
    figure = _facets(names, draws, drawers[type])
    if type in ("dens_overlay", "trace", "acf"):
        figure.axes[0].legend(frameon=False, fontsize=7)
    return figure
