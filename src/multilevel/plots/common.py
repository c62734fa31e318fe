"""Colours, figures and helpers shared by the plot modules."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..errors import MultilevelError, close_matches
from ..families.family import estimate_and_error, r_mad

# bayesplot's default "blue" scheme, so the figures read like brms's
_LIGHT = "#d1e1ec"
_LIGHT_HI = "#b3cde0"
_MID = "#6497b1"
_MID_HI = "#005b96"
_DARK = "#03396c"
_DARK_HI = "#011f4b"
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf")

# Integer responses spanning more values than this are drawn as continuous ones.
_MAX_INTEGER_SUPPORT = 60

# bayesplot's grouped checks of these types draw a panel per level of brms's ``group``
_GROUPABLE_TYPES = ("dens_overlay", "stat", "intervals", "bars", "ecdf_overlay",
                    "scatter_avg")
PP_CHECK_TYPES = ("dens_overlay", "hist", "stat", "intervals", "bars", "ecdf_overlay",
                  "scatter_avg", "rootogram", "loo_pit_overlay") + tuple(
                      f"{kind}_grouped" for kind in _GROUPABLE_TYPES)
# brms summarises all draws for these types and draws 10 replicates for the others.
_ALL_DRAW_TYPES = ("stat", "intervals", "scatter_avg", "rootogram", "loo_pit_overlay",
                   "stat_grouped", "intervals_grouped", "scatter_avg_grouped")
_DEFAULT_NDRAWS = 10


def _sd(values, axis=None):
    return np.std(values, axis=axis, ddof=1)


def _var(values, axis=None):
    return np.var(values, axis=axis, ddof=1)


_STATS: dict[str, Callable] = {
    "mean": np.mean, "sd": _sd, "var": _var, "median": np.median, "mad": r_mad,
    "min": np.min, "max": np.max,
}


class PlotFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that a notebook shows as a PNG image.

    IPython registers its PNG formatter for figures only once pyplot's inline backend is
    loaded, which a figure made without ``pyplot`` never triggers, so a plain ``Figure`` shows
    as text in a fresh kernel. This subclass renders itself instead, through Agg, leaving
    pyplot, the backend and IPython's formatters alone. Where the inline backend is active its
    formatter for ``Figure`` takes precedence over ``_repr_png_``, so a figure still shows as
    one image, drawn by the inline backend.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        # savefig picks the Agg canvas for "png" without replacing this figure's own canvas
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def _figure(nrows: int, ncols: int, width: float, height: float, figure_class=PlotFigure,
            **kwargs):
    figure = figure_class(figsize=(width, height), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False, **kwargs)
    return figure, axes


def _grid_shape(count: int, ncol: int | None = None) -> tuple[int, int]:
    ncol = ncol or min(count, 3)
    ncol = max(1, min(ncol, count))
    return -(-count // ncol), ncol


def _drop_spare_axes(figure: Figure, axes: np.ndarray, used: int) -> list:
    flat = list(axes.flat)
    for ax in flat[used:]:
        figure.delaxes(ax)
    return flat[:used]


def _bandwidth(values: np.ndarray) -> float:
    """R's ``bw.nrd0``, the bandwidth of ``density()`` that bayesplot's curves use."""
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return 1.0
    sd = float(np.std(values, ddof=1))
    quartiles = np.percentile(values, [75, 25])
    spread = min(sd, float(quartiles[0] - quartiles[1]) / 1.34)
    if spread <= 0:
        spread = sd or abs(float(values[0])) or 1.0
    return 0.9 * spread * len(values) ** -0.2


def _density(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density of ``values`` on ``grid``."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    bandwidth = _bandwidth(values)
    total = np.zeros(len(grid))
    # chunks keep memory bounded for long vectors (thousands of draws or observations)
    for start in range(0, len(values), 2048):
        chunk = values[start:start + 2048]
        total += np.exp(-0.5 * ((grid[:, None] - chunk[None, :]) / bandwidth) ** 2).sum(axis=1)
    return total / (max(len(values), 1) * bandwidth * np.sqrt(2 * np.pi))


def _integer_support(*arrays: np.ndarray) -> np.ndarray | None:
    """The integers spanned by integer-valued arrays, or None when a density suits better."""
    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[np.isfinite(values)]
    if not len(values) or np.any(values != np.round(values)):
        return None
    low, high = int(values.min()), int(values.max())
    if high - low > _MAX_INTEGER_SUPPORT:
        return None
    return np.arange(low, high + 1)


def _frequencies(values: np.ndarray, support: np.ndarray) -> np.ndarray:
    counts = np.bincount((np.asarray(values) - support[0]).astype(np.int64),
                         minlength=len(support))
    return counts / max(len(values), 1)


def _response_label(fit) -> str:
    if fit.family.columns:
        return fit.design.spec.response_expression
    return fit.design.spec.response_label or "y"


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise MultilevelError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _check_prob(value, name: str = "prob") -> float:
    if not isinstance(value, (int, float)) or not 0 < value < 1:
        raise MultilevelError(f"{name} must be a number between 0 and 1, got {value!r}.")
    return float(value)


def _check_group(fit, group) -> list[str]:
    groups = list(fit.names.groups)
    if not groups:
        raise MultilevelError(f"The model {fit.formula!r} has no group-level terms.")
    if group is None:
        return groups
    wanted = [group] if isinstance(group, str) else list(group)
    for name in wanted:
        if name not in groups:
            raise MultilevelError(f"Unknown grouping factor {name!r}." + close_matches(name, groups)
                                  + " Grouping factors: " + ", ".join(groups) + ".")
    return wanted


def _check_coefs(fit, group: str, coef) -> list[str]:
    coefs = fit.design.group_coefs(group)
    if coef is None:
        return coefs
    wanted = [coef] if isinstance(coef, str) else list(coef)
    for name in wanted:
        if name not in coefs:
            raise MultilevelError(f"{name!r} does not vary by {group!r}."
                                  + close_matches(name, coefs) + f" Coefficients of {group}: "
                                  + ", ".join(coefs) + ".")
    return wanted


def effect_summary(draws: np.ndarray, prob: float, robust: bool) -> pd.DataFrame:
    """brms's summary of conditional effects per row of ``draws`` (draws x rows):
    ``estimate__`` (the median, or the mean unless ``robust``), ``se__`` (R's ``mad()``, or
    the sd), ``lower__`` and ``upper__`` (the central ``prob`` interval)."""
    center, error = estimate_and_error(draws, robust)
    lower, upper = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    return pd.DataFrame({"estimate__": center, "se__": error, "lower__": lower,
                         "upper__": upper})
