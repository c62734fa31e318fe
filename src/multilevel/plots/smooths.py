"""Conditional smooths, as brms's ``conditional_smooths()``: each ``s()`` term's part of the
linear predictor over its variable's range."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from ..errors import MultilevelError
from .common import (
    _MID_HI,
    _check_positive_int,
    _check_prob,
    _drop_spare_axes,
    _figure,
    _grid_shape,
    effect_summary,
)
from .conditional import ConditionalEffects


def conditional_smooths(fit, smooths=None, prob: float = 0.95, resolution: int = 100,
                        spaghetti: bool = False, ndraws: int | None = None,
                        seed: int | None = None, ncol: int | None = None) -> ConditionalEffects:
    """Each smooth term's part of the linear predictor over its variable's range, as brms's
    ``conditional_smooths()``: the median of :meth:`~multilevel.Fit.posterior_smooths` at
    ``resolution`` points from the variable's smallest to its largest value, with its central
    ``prob`` interval.

    Parameters
    ----------
    fit
        The fitted model.
    smooths
        The terms to show (``"s(x)"`` or a list of them); all by default.
    prob
        Probability mass of the credible band.
    resolution
        Number of points over the variable's range.
    spaghetti
        A thin line per draw instead of the band, as brms's ``spaghetti``.
    ndraws, seed
        Use a random subset of draws.
    ncol
        Number of panel columns.

    Returns
    -------
    ConditionalEffects
        A figure with one panel per smooth, holding brms's data frame of each under its name
        (``"mu: s(x)"``): the variable, ``effect1__``, ``cond__``, ``estimate__`` (the
        median), ``se__`` (R's ``mad()``), ``lower__`` and ``upper__``.
    """
    if not fit.design.smooths:
        raise MultilevelError("No valid smooth terms found in the model.")
    written = ([part.term.text for part in fit.design.smooths] if smooths is None
               else [smooths] if isinstance(smooths, str) else list(smooths))
    parts = [fit.design.smooth_named(term) for term in written]
    prob = _check_prob(prob)
    resolution = _check_positive_int(resolution, "resolution")
    nrows, ncols = _grid_shape(len(parts), ncol)
    figure, axes = _figure(nrows, ncols, 4.2 * ncols, 3.4 * nrows,
                           figure_class=ConditionalEffects)
    used = _drop_spare_axes(figure, axes, len(parts))
    for ax, part in zip(used, parts, strict=True):
        term, variable = "".join(part.term.text.split()), part.term.variable
        column = fit.design.data[variable].to_numpy(dtype=float)
        grid = pd.DataFrame({variable: np.linspace(column.min(), column.max(), resolution)})
        draws = fit.posterior_smooths(term, newdata=grid, ndraws=ndraws, seed=seed)
        summary = effect_summary(draws, prob, robust=True)
        name = f"mu: {term}"
        figure.data[name] = pd.concat(
            [grid.assign(effect1__=grid[variable], cond__=pd.Categorical(["1"] * len(grid))),
             summary], axis=1)
        x = grid[variable].to_numpy()
        if spaghetti:
            ax.add_collection(LineCollection([np.column_stack([x, draw]) for draw in draws],
                                             colors=_MID_HI, linewidths=0.5,
                                             alpha=min(0.5, 10 / len(draws))))
        else:
            ax.fill_between(x, summary["lower__"], summary["upper__"], color=_MID_HI,
                            alpha=0.25, linewidth=0)
        ax.plot(x, summary["estimate__"], color=_MID_HI, lw=2)
        ax.set_xlabel(variable)
        ax.set_ylabel(name)
        ax.set_title(term, fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    return figure
