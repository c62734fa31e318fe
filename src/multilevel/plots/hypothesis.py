"""The densities of hypotheses' draws, as brms's ``plot()`` of ``hypothesis()``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..errors import MultilevelError
from .common import _LIGHT_HI, _MID_HI, _density, _figure
from .trace import density_grid

# brms's colours: bayesplot's scheme entries 4 and 2 (mid and light highlight), at 70%
_COLORS = (_MID_HI, _LIGHT_HI)
_OPACITY = 0.7


def shortened(label: str, chars: int) -> str:
    """brms's ``limit_chars()`` of a hypothesis label: its last four characters (`` > 0``)
    kept, the rest cut to ``chars - 3`` and ``...`` where longer than ``chars``."""
    head, suffix = label[:-4], label[-4:]
    return (head if len(head) <= chars else head[:chars - 3] + "...") + suffix


def plot_hypotheses(labels: list[str], samples: pd.DataFrame,
                    prior_samples: pd.DataFrame | None, chars: int = 40,
                    colors=None) -> Figure:
    """One panel per hypothesis, in rows: the density of its posterior draws, over that of
    its prior draws where there are any.

    Parameters
    ----------
    labels
        The hypotheses as the table writes them.
    samples
        Their posterior draws, a column each, in the order of ``labels``.
    prior_samples
        Their prior draws likewise (NaN where a hypothesis has none), or None.
    chars
        Labels longer than this are shortened (:func:`shortened`).
    colors
        The posterior's and the prior's colours.

    Returns
    -------
    matplotlib.figure.Figure
    """
    colors = _COLORS if colors is None else tuple(colors)
    if len(colors) != 2:
        raise MultilevelError(f"colors must be two colours, the posterior's and the prior's; "
                              f"got {len(colors)}.")
    figure, axes = _figure(len(labels), 1, 6, 1.5 * len(labels) + 0.5)
    for ax, label, column in zip(axes[:, 0], labels, samples.columns, strict=True):
        shown = [("Posterior", samples[column].to_numpy(), colors[0])]
        if prior_samples is not None and np.isfinite(prior_samples[column]).any():
            shown.append(("Prior", prior_samples[column].to_numpy(), colors[1]))
        everything = np.concatenate([values for _, values, _ in shown])
        grid = density_grid(everything[np.isfinite(everything)])
        for name, values, color in shown:
            ax.fill_between(grid, _density(values, grid), color=color, alpha=_OPACITY,
                            linewidth=0.5, edgecolor="black", label=name)
        ax.set_title(shortened(label, chars), fontsize=9)
        ax.set_yticks([])
        ax.spines[["top", "right", "left"]].set_visible(False)
    if prior_samples is not None:
        figure.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside right upper",
                      title="Type", frameon=False)
    return figure
