"""Posterior densities and trace plots of parameters, as brms's ``plot()``."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..errors import MultilevelError, close_matches
from .common import (
    _DARK,
    _LIGHT_HI,
    _PALETTE,
    _density,
    _figure,
)


def _default_variables(fit) -> list[str]:
    """brms's: every parameter but the group-level effects and the penalised spline
    coefficients (``r_``, ``s_``), and not a family parameter held at a value (sigma under
    ``se()``)."""
    aux = set(fit.names.aux) - set(fit.design.fixed_aux)
    # monotonic and category-specific effects, residual structures (ar[1], cosy, ...)
    prefixes = ("b_", "bs_", "bsp_", "bcs_", "sd_", "sds_", "cor_") + tuple(fit.names.autocor)
    return [name for name in fit.draws.names if name.startswith(prefixes) or name in aux]


def select_variables(fit, variables, regex: bool) -> list[str]:
    """The parameters a plot shows: ``variables`` by name (or pattern, with ``regex``), or
    brms's default selection; an error names a variable that matches nothing."""
    names = list(fit.draws.names)
    if variables is None:
        return _default_variables(fit)
    if isinstance(variables, str):
        variables = [variables]
    if not variables:
        raise MultilevelError("No parameters to plot: name one or more, or pass None for "
                              "brms's default selection.")
    chosen: list[str] = []
    for wanted in variables:
        if regex:
            matches = [name for name in names if re.search(wanted, name)]
        else:
            matches = [wanted] if wanted in names else []
        if not matches:
            shown = _default_variables(fit)
            raise MultilevelError(
                f"No parameter {'matches' if regex else 'is named'} {wanted!r}."
                + close_matches(wanted, names) + " Parameters include: " + ", ".join(shown)
                + " and the group-level effects r_<group>[<level>,<coef>].")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def density_grid(values: np.ndarray) -> np.ndarray:
    """Points spanning the draws, to evaluate their density on (a unit span for a constant)."""
    low, high = float(values.min()), float(values.max())
    return np.linspace(low, high, 256) if high > low else np.array([low - 0.5, low + 0.5])


def draw_density(ax, values: np.ndarray) -> None:
    """The density of all chains' draws (chains x draws), filled, as bayesplot draws it."""
    flat = values.ravel()
    grid = density_grid(flat)
    density = _density(flat, grid)
    ax.fill_between(grid, density, color=_LIGHT_HI, linewidth=0)
    ax.plot(grid, density, color=_DARK, lw=1)
    ax.set_yticks([])


def draw_traces(ax, values: np.ndarray) -> None:
    """Each chain's draws (chains x draws) against the iteration, one colour per chain."""
    iterations = np.arange(1, values.shape[1] + 1)
    for chain in range(values.shape[0]):
        ax.plot(iterations, values[chain], color=_PALETTE[chain % len(_PALETTE)], lw=0.5,
                alpha=0.8, label=f"chain {chain + 1}")


def plot(fit, variables: str | Sequence[str] | None = None, regex: bool = False) -> Figure:
    """Posterior density (left) and trace per chain (right) of each parameter, as brms's plot().

    Parameters
    ----------
    fit
        The fitted model.
    variables
        Parameter names as in ``fit.as_draws_df()`` (``"b_Days"``, ``"sd_Subject__Days"``,
        ``"r_Subject[308,Intercept]"``). None shows the population effects, group-level sds
        and correlations, and the family parameters such as ``sigma`` (not ``r_*``).
    regex
        Treat each entry of ``variables`` as a regular expression, as brms's ``regex=TRUE``.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes per parameter, in rows.

    Raises
    ------
    MultilevelError
        For a name (or pattern) that matches no parameter.
    """
    names = select_variables(fit, variables, regex)
    draws = fit.draws
    figure, axes = _figure(len(names), 2, 9, 1.6 * len(names) + 0.4,
                           gridspec_kw={"width_ratios": [1, 1.6]})
    chains = draws.values.shape[0]
    for row, name in enumerate(names):
        values = draws.values[:, :, draws.names.index(name)]
        density_ax, trace_ax = axes[row]
        draw_density(density_ax, values)
        density_ax.set_title(name, fontsize=9, loc="left")
        density_ax.spines[["top", "right", "left"]].set_visible(False)
        draw_traces(trace_ax, values)
        trace_ax.set_title(name, fontsize=9, loc="left")
        trace_ax.spines[["top", "right"]].set_visible(False)
    axes[-1, 1].set_xlabel("iteration")
    axes[0, 1].legend(frameon=False, fontsize=7, ncols=min(chains, 4), loc="lower right",
                      bbox_to_anchor=(1, 1.02))
    return figure
