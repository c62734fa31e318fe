"""Conditional smooths, as brms's ``conditional_smooths()``: each ``s()`` term's part of the
linear predictor over its variable's range."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection

from ..errors import MultilevelError
from ..names import r_level_label
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
        A figure with one panel per smooth (for ``s(x, by = f)``, one per level of ``f``; for
        a numeric ``by``, one at its mean and one sd either side), holding brms's data frame
        of each term under its name (``"mu: s(x)"``): the variables, ``effect1__``,
        ``cond__`` (``"1"``, or ``"f = a"``), ``estimate__`` (the median), ``se__`` (R's
        ``mad()``), ``lower__`` and ``upper__``.
    """
    if not fit.design.smooths:
        raise MultilevelError("No valid smooth terms found in the model.")
    written = (list(dict.fromkeys(part.term.text for part in fit.design.smooths))
               if smooths is None
               else [smooths] if isinstance(smooths, str) else list(smooths))
    terms = [fit.design.smooth_named(term)[0].term for term in written]
    prob = _check_prob(prob)
    resolution = _check_positive_int(resolution, "resolution")
    frames, panels = {}, []
    for term in terms:
        frame, draws = _smooth_frame(fit, term, resolution, ndraws, seed)
        name = f"mu: {''.join(term.text.split())}"
        frame = pd.concat([frame, effect_summary(draws, prob, robust=True)], axis=1)
        frames[name] = frame
        # a by's levels or values in panels of their own, as brms's facets
        for condition in frame["cond__"].cat.categories:
            rows = (frame["cond__"] == condition).to_numpy()
            panels.append((term, name, condition if term.by else None, frame[rows],
                           draws[:, rows]))
    nrows, ncols = _grid_shape(len(panels), ncol)
    figure, axes = _figure(nrows, ncols, 4.2 * ncols, 3.4 * nrows,
                           figure_class=ConditionalEffects)
    used = _drop_spare_axes(figure, axes, len(panels))
    figure.data.update(frames)
    for ax, (term, name, condition, frame, draws) in zip(used, panels, strict=True):
        x = frame[term.variable].to_numpy()
        if spaghetti:
            ax.add_collection(LineCollection([np.column_stack([x, draw]) for draw in draws],
                                             colors=_MID_HI, linewidths=0.5,
                                             alpha=min(0.5, 10 / len(draws))))
        else:
            ax.fill_between(x, frame["lower__"], frame["upper__"], color=_MID_HI,
                            alpha=0.25, linewidth=0)
        ax.plot(x, frame["estimate__"], color=_MID_HI, lw=2)
        ax.set_xlabel(term.variable)
        ax.set_ylabel(name)
        title = "".join(term.text.split())
        ax.set_title(title if condition is None else f"{title}\n{condition}", fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    return figure


def _smooth_frame(fit, term, resolution: int, ndraws, seed) -> tuple[pd.DataFrame, np.ndarray]:
    """brms's grid for one smooth term (its variable over its range; with ``by``, times each
    level of a factor or the mean and the mean plus and minus one sd of a numeric ``by``,
    the variable fastest), its columns ``effect1__`` and ``cond__``, and the term's draws."""
    variable = term.variable
    column = fit.design.data[variable].to_numpy(dtype=float)
    x = np.linspace(column.min(), column.max(), resolution)
    if term.by is None:
        grid = pd.DataFrame({variable: x})
        conditions = pd.Categorical(["1"] * len(grid))
    else:
        by = fit.design.data[term.by]
        if by.dtype.kind in "iuf":
            values = by.mean() + np.array([-1.0, 0.0, 1.0]) * by.std(ddof=1)
            labels = [f"{term.by} = {r_level_label(round(float(v), 2))}" for v in values]
        else:
            values = list(by.cat.categories)
            labels = [f"{term.by} = {r_level_label(v)}" for v in values]
        grid = pd.DataFrame({variable: np.tile(x, len(values)),
                             term.by: np.repeat(np.asarray(values, dtype=object), len(x))})
        if by.dtype.kind in "iuf":
            grid[term.by] = grid[term.by].astype(float)
        conditions = pd.Categorical(np.repeat(labels, len(x)), categories=labels)
    draws = fit.posterior_smooths(term.text, newdata=grid, ndraws=ndraws, seed=seed)
    frame = grid.assign(effect1__=grid[variable], cond__=conditions)
    return frame, draws
