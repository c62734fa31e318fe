"""Caterpillar plots of group-level effects."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..names import quantile_label
from .common import (
    _DARK_HI,
    _MID,
    _check_coefs,
    _check_group,
    _check_prob,
    _drop_spare_axes,
    _figure,
    _grid_shape,
)


def plot_ranef(fit, group: str | Sequence[str] | None = None,
               coef: str | Sequence[str] | None = None, prob: float = 0.95) -> Figure:
    """Caterpillar plot of the group-level effects, as lme4's ``dotplot(ranef(fit))``.

    For each grouping factor and varying coefficient, the levels are sorted by their
    estimate and drawn as a point with its credible interval, from ``fit.ranef()``.

    Parameters
    ----------
    fit
        The fitted model.
    group
        Grouping factor(s) to show; None for all.
    coef
        Varying coefficient(s) to show (``"Intercept"``, ``"Days"``); None for all.
    prob
        Probability mass of the intervals.

    Returns
    -------
    matplotlib.figure.Figure
        One axis per grouping factor and coefficient.

    Raises
    ------
    MultilevelError
        For an unknown grouping factor or coefficient.
    """
    prob = _check_prob(prob)
    groups = _check_group(fit, group)
    panels = [(g, c) for g in groups for c in _check_coefs(fit, g, coef)]
    probs = ((1 - prob) / 2, (1 + prob) / 2)
    low_label, high_label = (quantile_label(p) for p in probs)
    tables = fit.ranef(probs=probs)
    most = max(len(tables[g]) for g, _ in panels)
    nrows, ncols = _grid_shape(len(panels), 3)
    height = min(12.0, max(3.0, 0.16 * most + 1.0))
    figure, axes = _figure(nrows, ncols, 4 * ncols, height * nrows)
    used = _drop_spare_axes(figure, axes, len(panels))
    for ax, (group_name, coef_name) in zip(used, panels, strict=True):
        table = tables[group_name][coef_name].sort_values("Estimate")
        positions = np.arange(len(table))
        ax.hlines(positions, table[low_label], table[high_label], color=_MID, lw=1.2)
        ax.scatter(table["Estimate"], positions, color=_DARK_HI, s=14, zorder=3)
        ax.axvline(0, color="0.5", ls="--", lw=0.8)
        # past ~50 levels the labels overlap; the sorted profile is what remains readable
        if len(table) <= 50:
            ax.set_yticks(positions, [str(level) for level in table.index], fontsize=7)
        else:
            ax.set_yticks([])
        ax.set_ylabel(group_name)
        ax.set_xlabel(f"r_{group_name}[., {coef_name}] ({100 * prob:.0f}% interval)")
        ax.set_title(f"{group_name}: {coef_name}", fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    return figure
